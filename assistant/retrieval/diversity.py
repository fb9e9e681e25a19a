"""Maximal marginal relevance, so "what did partners say" surfaces distinct voices."""

from __future__ import annotations

import numpy as np

from assistant.core.models import Passage

SAME_DOCUMENT_PENALTY = 0.1


def mmr_select(
    passages: list[Passage], vectors: dict[str, np.ndarray], k: int, lambda_: float = 0.75
) -> list[Passage]:
    """Pick ``k`` passages trading relevance (``score``) against similarity to those picked.

    Similarity is the passage-vector cosine plus a small penalty for sharing a document, so
    when several documents are relevant each gets a say.
    """
    if k <= 0 or not passages:
        return []
    # Each passage's redundancy is the running max of its similarity to the passages chosen so
    # far: only the newest pick needs comparing each round, and one matrix-vector product
    # compares it with every candidate (a passage without a vector is similar to none).
    count = len(passages)
    stored = [vectors.get(p.chunk.chunk_id) for p in passages]
    has_vector = np.array([v is not None for v in stored])
    width = next((v.size for v in stored if v is not None), 0)
    every = bool(has_vector.all())  # the usual case: nothing to mask below
    if every:
        matrix = np.array(stored, dtype=np.float32)
    else:
        matrix = np.zeros((count, width), dtype=np.float32)
        for index, vector in enumerate(stored):
            if vector is not None:
                matrix[index] = vector
    # each document as a small integer: comparing them is cheaper than comparing the ids
    numbers: dict[str, int] = {}
    documents = np.array([numbers.setdefault(p.chunk.doc_id, len(numbers)) for p in passages])
    relevance = lambda_ * np.array([p.score for p in passages], dtype=np.float64)
    redundancy = np.zeros(count, dtype=np.float64)
    open_ = np.ones(count, dtype=bool)
    chosen: list[int] = []
    while len(chosen) < min(k, count):
        if chosen:
            last = chosen[-1]
            similarity = (matrix @ matrix[last]).astype(np.float64)
            if not every:
                if not has_vector[last]:
                    similarity[:] = 0.0
                similarity[~has_vector] = 0.0
            similarity += np.where(documents == documents[last], SAME_DOCUMENT_PENALTY, 0.0)
            np.maximum(redundancy, similarity, out=redundancy)
        value = np.where(open_, relevance - (1 - lambda_) * redundancy, -np.inf)
        best = int(np.argmax(value))  # the first of equal values, in the given order
        open_[best] = False
        chosen.append(best)
    return [passages[i] for i in chosen]
