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
    chosen: list[Passage] = []
    while remaining and len(chosen) < k:
        best, best_value = None, -np.inf
        for passage in remaining:
            redundancy = 0.0
            vector = vectors.get(passage.chunk.chunk_id)
            for other in chosen:
                other_vector = vectors.get(other.chunk.chunk_id)
                similarity = (
                    float(vector @ other_vector)
                    if vector is not None and other_vector is not None
                    else 0.0
                )
                if other.chunk.doc_id == passage.chunk.doc_id:
                    similarity += SAME_DOCUMENT_PENALTY
                redundancy = max(redundancy, similarity)
            value = lambda_ * passage.score - (1 - lambda_) * redundancy
            if value > best_value:
                best, best_value = passage, value
        chosen.append(best)
        remaining.remove(best)
    return chosen
