"""The bundled model, loaded offline, and concurrent question batching."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from assistant.embeddings import encode_query, make_embeddings


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


def test_fake_profile_and_bad_model_path():
    fake = make_embeddings("fake:8")
    assert len(fake.embed_query("x")) == 8
    with pytest.raises(RuntimeError, match="No sentence-transformers model"):
        make_embeddings("/no/such/model")
