"""The bundled model, loaded offline, and concurrent question batching (the real model)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from assistant.index.embeddings import encode_query


@pytest.mark.integration
def test_bundled_model_gives_unit_vectors(real_embeddings):
    vectors = real_embeddings.encode(["adult learning", "apprenticeships"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.integration
def test_concurrent_questions_are_batched_without_mixing_answers(real_embeddings):
    questions = [f"question {i} about skills and culture" for i in range(24)]
    expected = real_embeddings.encode(questions)
    results: list[np.ndarray | None] = [None] * len(questions)

    def ask(index: int) -> None:
        results[index] = encode_query(real_embeddings, questions[index])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(questions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, vector in enumerate(results):
        assert np.allclose(vector, expected[index], atol=1e-4), index


@pytest.mark.integration
def test_questions_go_through_onnx_runtime_with_the_models_own_vectors(real_embeddings):
    from eval.questions import load_questions

    assert real_embeddings.query_backend == "onnx"
    questions = [q.question for q in load_questions()][:40] + ["x", "a " * 400]
    expected = real_embeddings.encode(questions)  # sentence-transformers on PyTorch
    got = real_embeddings.encode_queries(questions)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert float((got * expected).sum(axis=1).min()) > 0.9999


@pytest.mark.integration
def test_the_exported_graph_is_cached_and_reused(tmp_path, monkeypatch):
    import torch

    from assistant.index.embeddings import SentenceTransformerEmbeddings

    first = SentenceTransformerEmbeddings(cache_dir=tmp_path)
    cached = list(tmp_path.glob("query-encoder-*.onnx"))
    assert first.query_backend == "onnx" and len(cached) == 1

    def no_export(*args, **kwargs):
        raise AssertionError("exported again instead of reading the cached graph")

    monkeypatch.setattr(torch.onnx, "export", no_export)
    second = SentenceTransformerEmbeddings(cache_dir=tmp_path)
    assert second.query_backend == "onnx"
    assert np.allclose(second.encode_queries(["skills"]), first.encode_queries(["skills"]))


@pytest.mark.integration
def test_a_failed_export_leaves_questions_on_pytorch(monkeypatch, caplog):
    import torch

    from assistant.index.embeddings import SentenceTransformerEmbeddings

    def broken_export(*args, **kwargs):
        raise RuntimeError("exporter unavailable")

    monkeypatch.setattr(torch.onnx, "export", broken_export)
    embeddings = SentenceTransformerEmbeddings()
    assert embeddings.query_backend == "torch"
    assert "exporter unavailable" in caplog.text
    vector = encode_query(embeddings, "apprenticeships")
    assert np.allclose(vector, embeddings.encode(["apprenticeships"])[0], atol=1e-5)
    with pytest.raises(ValueError, match="query_backend"):
        SentenceTransformerEmbeddings(query_backend="tensorrt")
