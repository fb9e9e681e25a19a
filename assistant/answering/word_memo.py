"""The content words of a passage or sentence, remembered between questions.

Scoring the evidence reads the content words of every sentence of every candidate passage
(and, for answerability, of each passage with its section and document names) two or three
times per question, and the same passages come back question after question: on the seed
corpus this tokenising was about half of the time spent answering. ``content_words`` is a
pure function of the text, so a remembered result is the same set (frozen, so no caller can
change what the next one reads).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from assistant.core.text_match import content_words

T = TypeVar("T")

# Texts remembered: sentences and passage contexts of about 1 KB at most, so ~10 MB at most.
WORD_MEMO_SIZE = 8192


@lru_cache(maxsize=WORD_MEMO_SIZE)
def text_words(text: str) -> frozenset[str]:
    """``content_words(text)``, computed once per distinct text."""
    return frozenset(content_words(text))


def share_present(words: set[str], text: str) -> float:
    """Share of ``words`` present in ``text``'s content words (``text_match.overlap``)."""
    if not words:
        return 0.0
    return len(words & text_words(text)) / len(words)


def per_object(compute: Callable[[object], T]) -> Callable[[object], T]:
    """``compute(obj)`` remembered for as long as ``obj`` lives, for objects that are never
    changed once made (a document's ``DocumentMeta``: the index store builds new ones whenever
    the registry changes). Held weakly, so an entry goes with its object, before its id can be
    used again."""
    memo: dict[int, tuple[weakref.ref, T]] = {}

    def remembered(obj: object) -> T:
        key = id(obj)
        entry = memo.get(key)
        if entry is not None and entry[0]() is obj:
            return entry[1]
        value = compute(obj)
        memo[key] = (weakref.ref(obj, lambda _, key=key: memo.pop(key, None)), value)
        return value

    remembered.memo = memo  # type: ignore[attr-defined]
    return remembered
