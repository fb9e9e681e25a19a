"""Rerankers: a light default that scores passages by their best-matching sentences, or any
local sentence-transformers ``CrossEncoder``.

The default needs no extra model: sentence vectors were computed at ingest, so scoring a
candidate costs one small matrix product with the question vector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.core.models import Passage


class Reranker(Protocol):
    name: str
    # False: ``rerank`` reads no passage's text, only its chunk id, scores and vectors (the
    # retriever then parses only the passages it returns); absent means True
    needs_text: bool

    def rerank(
        self,
        question: str,
        query_vector: np.ndarray,
        passages: list[Passage],
        sentence_vectors: dict[str, np.ndarray],
    ) -> list[Passage]: ...


class NoReranker:
    """Keep the fused order (used by benchmarks to isolate fusion)."""

    name = "none"
    needs_text = False

    def rerank(self, question, query_vector, passages, sentence_vectors):
        return passages


class SentenceReranker:
    """Score = best sentence cosine, blended with the passage cosine and the fused rank."""

    name = "sentence"
    needs_text = False

    def __init__(self, sentence_weight: float, passage_weight: float, rank_weight: float) -> None:
        total = sentence_weight + passage_weight + rank_weight
        if total <= 0 or min(sentence_weight, passage_weight, rank_weight) < 0:
            raise ValueError("weights must be non-negative and not all zero")
        self.weights = (sentence_weight / total, passage_weight / total, rank_weight / total)

    def rerank(self, question, query_vector, passages, sentence_vectors):
        ws, wp, wr = self.weights
        scored = []
        for rank, passage in enumerate(passages):
            matrix = sentence_vectors.get(passage.chunk.chunk_id)
            best = (
                float((matrix @ query_vector).max()) if matrix is not None and len(matrix) else 0.0
            )
            dense = passage.scores.get("passage_cosine", 0.0)
            rank_score = 1.0 / (1.0 + rank / 10.0)
            passage.scores["best_sentence"] = best
            passage.score = ws * best + wp * dense + wr * rank_score
            scored.append(passage)
        return sorted(scored, key=lambda p: -p.score)


class CrossEncoderReranker:
    """A sentence-transformers ``CrossEncoder`` loaded from a local folder (never downloaded)."""

    def __init__(self, model_path: str, batch_size: int = 32) -> None:
        path = Path(model_path).expanduser()
        if not path.is_dir():
            raise ValueError(
                f"Cross-encoder folder {path} not found; set ASSISTANT_RERANKER to a local model "
                "folder, or to 'sentence' for the built-in reranker."
            )
        from sentence_transformers import CrossEncoder

        self.name = f"cross-encoder:{path.name}"
        self.needs_text = True
        self.model = CrossEncoder(str(path), device="cpu")
        self.batch_size = batch_size

    def rerank(self, question, query_vector, passages, sentence_vectors):
        if not passages:
            return passages
        pairs = [(question, p.chunk.text) for p in passages]
        scores = self.model.predict(pairs, batch_size=self.batch_size, show_progress_bar=False)
        for passage, score in zip(passages, scores, strict=True):
            passage.scores["cross_encoder"] = float(score)
            passage.score = float(score)
        return sorted(passages, key=lambda p: -p.score)


def make_reranker(spec: str, weights: tuple[float, float, float]) -> Reranker:
    """``weights``: the sentence reranker's (best sentence, passage, fused rank) blend."""
    if spec == "sentence":
        return SentenceReranker(*weights)
    if spec == "none":
        return NoReranker()
    return CrossEncoderReranker(spec)
