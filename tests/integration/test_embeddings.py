"""The bundled model, loaded offline, concurrent question batching and the ingest encoders
(ONNX Runtime, bfloat16) against sentence-transformers on PyTorch (the real model)."""

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
    expected = real_embeddings.encode_torch(questions)  # sentence-transformers on PyTorch
    got = real_embeddings.encode_queries(questions)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert float((got * expected).sum(axis=1).min()) > 0.9999


@pytest.mark.integration
def test_a_question_encode_says_once_when_it_stops_needing_the_gil(real_embeddings, monkeypatch):
    """``before_forward`` (a side task's release) comes after tokenising, right before ONNX
    Runtime's forward pass, once; the vector is the same as without it."""
    order: list[str] = []
    session = real_embeddings._onnx.session
    run = session.run

    class Recording:
        def run(self, *args, **kwargs):
            order.append("forward")
            return run(*args, **kwargs)

    monkeypatch.setattr(real_embeddings._onnx, "session", Recording())
    vector = real_embeddings.encode_query("What about skills?", lambda: order.append("released"))
    assert order == ["released", "forward"]
    monkeypatch.setattr(real_embeddings._onnx, "session", session)
    assert np.allclose(vector, real_embeddings.encode_query("What about skills?"))


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
    assert np.allclose(vector, embeddings.encode_torch(["apprenticeships"])[0], atol=1e-5)
    embeddings.encode(["apprenticeships"])  # the ingest encoder needs the export too
    assert embeddings.ingest_backend == "torch"
    with pytest.raises(ValueError, match="query_backend"):
        SentenceTransformerEmbeddings(query_backend="tensorrt")


# Real texts for the ingest encoders: a passage with its header, sentences of very different
# lengths (padded together in one batch), a boilerplate line, and one long enough to be
# truncated at the model's 256 tokens.
INGEST_TEXTS = [
    "Adult Skills Strategy | Example Council | 2023\nRecommendations\nThe council should "
    "work with colleges to widen access to adult learning, especially for residents without "
    "a level 2 qualification.",
    "Partners said apprenticeships were hard to fill.",
    "Key information:",
    "Funding for community learning fell by 12% between 2019 and 2022, while demand rose.",
    "x",
    "The review found that " + "employers, providers and the council rarely shared data; " * 40,
]


def _assert_matches_torch(embeddings, texts):
    expected = embeddings.encode_torch(texts)
    got = embeddings.encode(texts)
    assert got.dtype == np.float32 and got.shape == expected.shape
    cosines = (got * expected).sum(axis=1)
    assert float(cosines.min()) >= 0.9999, cosines
    return cosines


@pytest.mark.integration
def test_onnx_ingest_vectors_match_pytorch_on_real_texts(real_embeddings):
    from assistant.index.onnx_encoder import length_buckets

    tokens = real_embeddings._model.tokenizer(INGEST_TEXTS, truncation=True, max_length=256)
    lengths = [len(row) for row in tokens["input_ids"]]
    assert max(lengths) == 256  # the long text is truncated
    assert any(
        len(b) > 1 and len({lengths[i] for i in b}) > 1 for b in length_buckets(lengths, 512, 128)
    )
    _assert_matches_torch(real_embeddings, INGEST_TEXTS)
    assert real_embeddings.ingest_backend == "onnx"
    # duplicates and any order: still each text's own vector
    shuffled = INGEST_TEXTS[::-1] + INGEST_TEXTS[:2]
    _assert_matches_torch(real_embeddings, shuffled)


@pytest.mark.integration
def test_bf16_ingest_vectors_are_within_the_check(tmp_path):
    from assistant.index.embeddings import SentenceTransformerEmbeddings

    embeddings = SentenceTransformerEmbeddings(cache_dir=tmp_path, ingest_backend="bf16")
    embeddings.encode(["warm up"])
    if embeddings.ingest_backend != "bf16":
        pytest.skip(f"no bfloat16 on this CPU (fell back to {embeddings.ingest_backend})")
    _assert_matches_torch(embeddings, INGEST_TEXTS)


@pytest.mark.integration
def test_the_ingested_seed_corpus_holds_pytorchs_vectors(corpus_service, real_embeddings):
    registry = corpus_service.store.registry
    chunks = list(registry.iter_chunks())[:40]
    stored = registry.vectors([chunk.chunk_id for chunk, _ in chunks])
    passages = real_embeddings.encode_torch([text for _, text in chunks])
    sentences = real_embeddings.encode_torch(
        [s for chunk, _ in chunks for s in (chunk.sentences() or [chunk.text])]
    )
    got_passages = np.stack([stored[chunk.chunk_id][0] for chunk, _ in chunks])
    got_sentences = np.vstack([stored[chunk.chunk_id][1] for chunk, _ in chunks])
    assert float((got_passages * passages).sum(axis=1).min()) >= 0.9999
    assert float((got_sentences * sentences).sum(axis=1).min()) >= 0.9999
