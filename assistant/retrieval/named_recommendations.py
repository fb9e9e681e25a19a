"""Questions that name a recommendation by its number ("what is recommendation 3 …?").

The number names its passage exactly, so it is looked up in the registry instead of guessed
by similarity: a recommendation's wording rarely resembles the question's.
"""

from __future__ import annotations

import re

from assistant.core.chunk_ids import doc_id_of
from assistant.core.models import DocumentMeta, Passage
from assistant.core.text_match import content_words
from assistant.index.index_store import IndexStore

RECOMMENDATION_NUMBER = re.compile(
    r"\brecommendation\s+(?:no\.?\s*)?(\d{1,2}|[A-H])\b", re.IGNORECASE
)
NAMED_RECOMMENDATION_WEIGHT = 2.0  # its RRF weight, next to 1.0 for the dense list


def named_recommendations(question: str, allowed: set[str] | None, store: IndexStore) -> list[str]:
    """The chunk ids of the recommendation the question names by number, within ``allowed``.

    Several documents number their recommendations; when the question names one of them
    ("… of the mid-term review"), only that document's is meant."""
    match = RECOMMENDATION_NUMBER.search(question)
    if not match:
        return []
    ids = store.registry.recommendation_chunk_ids(match.group(1).upper())
    ids = [i for i in ids if allowed is None or doc_id_of(i) in allowed]
    named_docs = mentioned_documents(question, store.document_metas())
    narrowed = [i for i in ids if doc_id_of(i) in named_docs]
    return narrowed or ids


def mentioned_documents(question: str, metas: dict[str, DocumentMeta]) -> set[str]:
    """Documents the question names by a word of their name or title that no other indexed
    document's name or title has ("mid-term review", "feasibility study", "Kirklees")."""
    names = {
        doc_id: content_words(f"{meta.short_name or ''} {meta.title}")
        for doc_id, meta in metas.items()
    }
    counts: dict[str, int] = {}
    for words in names.values():
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    asked = content_words(question)
    return {doc_id for doc_id, words in names.items() if any(counts[w] == 1 for w in words & asked)}


def pin_named(
    ranked: list[Passage], candidates: list[Passage], named: list[str]
) -> tuple[list[Passage], frozenset[str]]:
    """The passages a question names by number go first, whatever the reranker thought; their
    ids are returned so the answerer quotes them."""
    if not named:
        return ranked, frozenset()
    by_id = {p.chunk.chunk_id: p for p in candidates}
    pinned = [by_id[i] for i in named if i in by_id]
    pinned_ids = frozenset(p.chunk.chunk_id for p in pinned)
    return pinned + [p for p in ranked if p.chunk.chunk_id not in pinned_ids], pinned_ids
