"""Embeddings without the real model: the fake profile and a clear error for a bad model path."""

from __future__ import annotations

import pytest

from assistant.index.embeddings import make_embeddings


def test_fake_profile_and_bad_model_path():
    fake = make_embeddings("fake:8")
    assert len(fake.embed_query("x")) == 8
    with pytest.raises(RuntimeError, match="No sentence-transformers model"):
        make_embeddings("/no/such/model")
