"""The ingest encoder on fakes: length buckets, pooling over real tokens only, padding and
parallel batches that change no vector, identical texts encoded once, and the fall back to
sentence-transformers when ONNX Runtime (or bfloat16) is unusable or fails mid-ingest."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from assistant.index import onnx_encoder
from assistant.index.embeddings import SentenceTransformerEmbeddings
from assistant.index.onnx_encoder import BucketedEncoder, length_buckets, mean_pool

DIM = 8


def test_buckets_hold_every_text_once_longest_first_within_the_budget():
    lengths = [5, 300, 12, 12, 7, 40, 3, 256, 12]
    batches = length_buckets(lengths, batch_tokens=48, max_batch=3)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) <= 3
        assert len(batch) == 1 or len(batch) * longest <= 48  # an over-long text goes alone
    assert batches[0] == [1] and batches[1] == [7]
    assert length_buckets([], 512, 8) == []


def test_mean_pool_ignores_padding_and_normalises():
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [99.0, 99.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    pooled = mean_pool(hidden, mask)
    assert np.allclose(pooled, [[1.0, 0.0]])
    assert np.allclose(mean_pool(np.zeros((1, 2, 2), np.float32), np.ones((1, 2))), 0.0)


class Transformer:  # the module names the encoder checks for
    pass


class Pooling:
    def get_config_dict(self):
        return {"pooling_mode": "mean"}


class FakeTokenizer:
    model_input_names = ["input_ids", "attention_mask"]
    pad_token_id = 0

    def __call__(self, texts, truncation=True, max_length=6):
        ids = [[1 + (sum(map(ord, w)) % 50) for w in t.split()][:max_length] or [1] for t in texts]
        return {"input_ids": ids, "attention_mask": [[1] * len(row) for row in ids]}


class FakeModel:
    """A 'transformer' whose token states depend on the token and its neighbours but never on
    padding (as attention with a mask): so any batch layout must give the same vectors."""

    max_seq_length = 6

    def __init__(self) -> None:
        self.tokenizer = FakeTokenizer()

    def __iter__(self):
        return iter([Transformer(), Pooling()])

    def encode(self, texts, **kwargs):
        return _reference(texts)


def _states(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    basis = np.sin(np.outer(np.arange(64), np.arange(1, DIM + 1))).astype(np.float32)
    states = basis[ids] * mask[..., None]
    context = states.sum(axis=1, keepdims=True) / np.maximum(mask.sum(axis=1), 1)[:, None, None]
    return states + 0.5 * context + 7.0 * (1 - mask[..., None])  # padding rows are garbage


def _reference(texts):
    """Each text alone, no padding at all."""
    tokens = FakeTokenizer()(texts)["input_ids"]
    rows = [
        mean_pool(_states(np.array([t]), np.ones((1, len(t)), int)), np.ones((1, len(t))))
        for t in tokens
    ]
    return np.vstack(rows)


class FakeBucketed(BucketedEncoder):
    def __init__(self, batch_tokens: int, workers: int) -> None:
        super().__init__(FakeModel(), batch_tokens, max_batch=4, workers=workers)
        self.shapes: list[tuple[int, int]] = []
        self.threads: set[str] = set()

    def forward(self, inputs):
        self.shapes.append(inputs["input_ids"].shape)
        self.threads.add(threading.current_thread().name)
        time.sleep(0.02)  # long enough that every worker takes a batch
        return _states(inputs["input_ids"], inputs["attention_mask"])


TEXTS = [
    "recommendation three",
    "a much longer sentence about adult learning in the borough and more words",
    "skills",
    "partners said apprenticeships matter",
    "x",
    "the council will fund colleges",
]


@pytest.mark.parametrize("batch_tokens, workers", [(1 << 20, 1), (12, 1), (12, 3), (6, 2)])
def test_any_batch_layout_gives_each_texts_own_vector_in_order(batch_tokens, workers):
    encoder = FakeBucketed(batch_tokens, workers)
    vectors = encoder.encode(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), DIM)
    assert np.allclose(vectors, _reference(TEXTS), atol=1e-6)
    assert all(rows * width <= max(batch_tokens, width) for rows, width in encoder.shapes)
    if workers > 1:
        assert len(encoder.threads) > 1  # batches really ran side by side
    encoder.check_against(FakeModel())  # the load-time check passes on a faithful encoder


def test_the_load_check_refuses_vectors_that_differ():
    class Wrong(FakeBucketed):
        def forward(self, inputs):
            return _states(inputs["input_ids"], inputs["attention_mask"])[..., ::-1]

    with pytest.raises(onnx_encoder.UnsupportedModelError, match="differ"):
        Wrong(64, 1).check_against(FakeModel())


def test_other_pipelines_are_refused():
    with pytest.raises(onnx_encoder.UnsupportedModelError):
        onnx_encoder.check_pipeline([Transformer()])


# -- SentenceTransformerEmbeddings.encode: dedup and fall back, without the real model ----------
class FakeSentenceTransformer:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts, **kwargs):
        self.calls.append(list(texts))
        return _reference(texts)


def _embeddings(backend: str) -> SentenceTransformerEmbeddings:
    embeddings = SentenceTransformerEmbeddings.__new__(SentenceTransformerEmbeddings)
    embeddings._model = FakeSentenceTransformer()
    embeddings._lock = threading.Lock()
    embeddings.batch_size = 4
    embeddings.dimension = DIM
    embeddings.model_path = None
    embeddings._init_ingest(backend, None)
    return embeddings


class FakeBulk:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def encode(self, texts):
        self.calls.append(list(texts))
        if self.fail:
            raise RuntimeError("session died")
        return _reference(texts)


def test_identical_texts_are_encoded_once_and_every_position_gets_its_vector(monkeypatch):
    bulk = FakeBulk()
    monkeypatch.setattr(onnx_encoder, "OnnxEncoder", lambda *args: bulk)
    embeddings = _embeddings("onnx")
    texts = ["Key information:", "skills", "Key information:", "Demand: Medium", "skills"]
    vectors = embeddings.encode(texts)
    assert bulk.calls == [["Key information:", "skills", "Demand: Medium"]]
    assert np.allclose(vectors, _reference(texts), atol=1e-6)
    assert embeddings.ingest_backend == "onnx" and not embeddings._model.calls
    assert (embeddings.texts_requested, embeddings.texts_encoded) == (5, 3)
    assert embeddings.encode([]).shape == (0, DIM)


def test_an_unusable_onnx_runtime_falls_back_to_sentence_transformers(monkeypatch, caplog):
    def broken(*args):
        raise ImportError("no onnxruntime")

    monkeypatch.setattr(onnx_encoder, "OnnxEncoder", broken)
    embeddings = _embeddings("onnx")
    with caplog.at_level(logging.WARNING):
        vectors = embeddings.encode(TEXTS)
    assert embeddings.ingest_backend == "torch" and "no onnxruntime" in caplog.text
    assert embeddings._model.calls == [TEXTS]
    assert np.allclose(vectors, _reference(TEXTS), atol=1e-6)


def test_a_failure_mid_ingest_falls_back_for_good(monkeypatch, caplog):
    bulk = FakeBulk(fail=True)
    monkeypatch.setattr(onnx_encoder, "OnnxEncoder", lambda *args: bulk)
    embeddings = _embeddings("onnx")
    with caplog.at_level(logging.WARNING):
        first = embeddings.encode(TEXTS[:3])
        second = embeddings.encode(TEXTS[3:])
    assert len(bulk.calls) == 1 and "session died" in caplog.text
    assert embeddings.ingest_backend == "torch"
    assert np.allclose(np.vstack([first, second]), _reference(TEXTS), atol=1e-6)


def test_bf16_unusable_falls_back_to_onnx_and_torch_needs_no_encoder(monkeypatch):
    def no_bf16(*args):
        raise onnx_encoder.UnsupportedModelError("this CPU has no bfloat16 support")

    bulk = FakeBulk()
    monkeypatch.setattr(onnx_encoder, "Bf16Encoder", no_bf16)
    monkeypatch.setattr(onnx_encoder, "OnnxEncoder", lambda *args: bulk)
    embeddings = _embeddings("bf16")
    embeddings.encode(TEXTS)
    assert embeddings.ingest_backend == "onnx" and bulk.calls == [TEXTS]

    plain = _embeddings("torch")
    plain.encode(TEXTS)
    assert plain.ingest_backend == "torch" and plain._model.calls == [TEXTS]
