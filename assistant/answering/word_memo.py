"""The content words of a passage or sentence, remembered between questions.

Scoring the evidence reads the content words of every sentence of every candidate passage
(and, for answerability, of each passage with its section and document names) two or three
times per question, and the same passages come back question after question: on the seed
corpus this tokenising was about half of the time spent answering. ``content_words`` is a
pure function of the text, so a remembered result is the same set (frozen, so no caller can
change what the next one reads).
"""

from __future__ import annotations

from functools import lru_cache

from assistant.core.text_match import content_words

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
