"""Embeddings answered from vectors computed beforehand (one class for every benchmark that
needs it), and computing them in length-sorted batches."""

from __future__ import annotations

import numpy as np

from assistant.index.embeddings import SentenceTransformerEmbeddings
from eval.bench.common import progress_bar


class PrecomputedEncoder(SentenceTransformerEmbeddings):
    """The same model, answering from vectors computed beforehand; anything not precomputed is
    encoded on the spot (so a mismatch costs time, never correctness). Questions always go to
    the model (``encode_queries``, hence ``embed_query``), never to the table.

    Two uses: the ingest pipeline of a benchmark index, fed vectors computed in large
    length-sorted batches (the pipeline encodes document by document, on this CPU several times
    slower than one long sorted ``encode``, which would make a 5k-document benchmark index take
    hours; the vectors are the same either way, padding is masked out); and the bare
    LangChain-Chroma baseline of ``bench speed``, handed the passage vectors the index already
    holds (``embed_documents``) so building it does not embed them again.
    """

    def __init__(self, inner: SentenceTransformerEmbeddings, vectors: dict[str, np.ndarray]):
        self.__dict__.update(inner.__dict__)
        self.inner = inner
        self.vectors = vectors
        self.hits = 0
        self.misses = 0

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        if missing:
            for text, vector in zip(missing, super().encode(missing), strict=True):
                self.vectors[text] = vector
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32)

    def encode_queries(self, texts: list[str], before_forward=None) -> np.ndarray:
        return self.inner.encode_queries(texts, before_forward)


def precompute(embeddings, texts: list[str], label: str, batch: int = 4096) -> dict:
    """Vectors for ``texts`` in length-sorted slices (one progress bar)."""
    unique = sorted(set(texts), key=len)
    vectors: dict[str, np.ndarray] = {}
    with progress_bar(f"Embedding {label} (length-sorted batches)", len(unique)) as advance:
        for start in range(0, len(unique), batch):
            part = unique[start : start + batch]
            for text, vector in zip(part, embeddings.encode(part), strict=True):
                vectors[text] = vector
            advance(len(part))
    return vectors
