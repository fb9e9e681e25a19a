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
    remaining = list(passages)
    # Each passage's redundancy is the running max of its similarity to the passages chosen so
    # far, in the order they were chosen: only the newest one needs comparing each round (the
    # same floats, folded in the same order, as comparing with every chosen one every round).
    own = [vectors.get(p.chunk.chunk_id) for p in remaining]
    redundancy = [0.0] * len(remaining)
    chosen: list[Passage] = []
    while remaining and len(chosen) < k:
        if chosen:
            last = chosen[-1]
            last_vector = vectors.get(last.chunk.chunk_id)
            for index, passage in enumerate(remaining):
                vector = own[index]
                similarity = (
                    float(vector @ last_vector)
                    if vector is not None and last_vector is not None
                    else 0.0
                )
                if last.chunk.doc_id == passage.chunk.doc_id:
                    similarity += SAME_DOCUMENT_PENALTY
                redundancy[index] = max(redundancy[index], similarity)
        best, best_value = None, -np.inf
        for index, passage in enumerate(remaining):
            value = lambda_ * passage.score - (1 - lambda_) * redundancy[index]
            if value > best_value:
                best, best_value = passage, value
        chosen.append(best)
        position = remaining.index(best)  # the first equal one, as list.remove takes
        del remaining[position], own[position], redundancy[position]
    return chosen
