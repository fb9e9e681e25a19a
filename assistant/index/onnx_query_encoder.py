"""Questions encoded by ONNX Runtime instead of PyTorch, with the same vectors.

For one short question PyTorch's per-operator overhead dominates: on this project's 2-core
machine all-MiniLM-L6-v2 takes 15-20 ms per question in PyTorch and about 6 ms in ONNX Runtime
(see docs/BENCHMARKS.md). The export, pooling and the check against the model's own vectors are
``assistant.index.onnx_encoder``'s; any model that does not fit or any export failure leaves
question encoding on PyTorch. Ingest uses the same graph in a session of its own
(``SentenceTransformerEmbeddings.encode``).
"""

from __future__ import annotations

import os
from pathlib import Path

from assistant.index.onnx_encoder import (
    MIN_PROBE_COSINE,
    PROBES,
    OnnxEncoder,
    UnsupportedModelError,
)

__all__ = ["MIN_PROBE_COSINE", "PROBES", "OnnxQueryEncoder", "UnsupportedModelError"]
# A few short questions are one padded batch, as before bucketing existed.
QUERY_BATCH_TOKENS = 1 << 30


class OnnxQueryEncoder(OnnxEncoder):
    """Encode short texts with the sentence-transformers model's transformer in ONNX Runtime."""

    def __init__(
        self,
        model,
        model_path: Path,
        cache_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        # Half the cores: the rest of a request (Chroma, BM25, answer, HTTP) runs in Python
        # beside it. On 2 cores under 20 clients, 1 thread served 81 req/s against 57 with 2.
        threads = threads or max(1, (os.cpu_count() or 2) // 2)
        super().__init__(model, model_path, cache_dir, threads, QUERY_BATCH_TOKENS, 1 << 30)
