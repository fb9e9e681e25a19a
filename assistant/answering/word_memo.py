"""The content words of a passage or sentence, remembered between questions.

Scoring the evidence reads the content words of every sentence of every candidate passage
(and, for answerability, of each passage with its section and document names) two or three
times per question, and the same passages come back question after question: on the seed
corpus this tokenising was about half of the time spent answering. ``content_words`` is a
pure function of the text, so a remembered result is the same set (frozen, so no caller can
change what the next one reads).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import Stemmer

from assistant.core.models import DocumentMeta
from assistant.core.object_memo import per_object
from assistant.core.text_match import content_words

# Texts remembered: sentences and passage contexts of about 1 KB at most, so ~10 MB at most.
WORD_MEMO_SIZE = 8192


@lru_cache(maxsize=WORD_MEMO_SIZE)
def text_words(text: str) -> frozenset[str]:
    """``content_words(text)``, computed once per distinct text."""
    return frozenset(content_words(text))


_STEMMER = Stemmer.Stemmer("english")  # PyStemmer: the keyword index stems with it too


@lru_cache(maxsize=WORD_MEMO_SIZE)
def stem_words(words: frozenset[str]) -> frozenset[str]:
    """The Snowball (Porter 2) stems of ``words``: evidence scoring matches "presented" with
    "present" and "recommendations" with "recommend", as the keyword index does."""
    return frozenset(_STEMMER.stemWords(list(words)))


def metadata_words(meta: DocumentMeta) -> str:
    """What a document says about itself outside its text: title, names, place, file, URL."""
    source = meta.source_path or ""
    url = str(meta.extra.get("source_url") or "")
    stem = Path(source).stem if source else ""
    authors = meta.extra.get("authors")
    authors = " ".join(authors) if isinstance(authors, list) else str(authors or "")
    parts = [meta.title, meta.short_name, meta.organisation, meta.place, stem, url, authors]
    return " ".join(re.sub(r"[-_/.:]+", " ", p) for p in parts if p)


def _document_words(meta: DocumentMeta) -> frozenset[str]:
    return frozenset(content_words(metadata_words(meta)))


# a document's own names as content words, once per document object
document_words = per_object(_document_words)
