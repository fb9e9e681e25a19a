"""Retrieval with real models: a local cross-encoder reranker over the ingested seed corpus."""

from __future__ import annotations

import pytest

from assistant.core.settings import Settings

pytestmark = pytest.mark.integration


def test_a_local_cross_encoder_plugs_in(corpus_service):
    """Any local CrossEncoder folder works; the bundled MiniLM with a fresh head stands in."""
    from assistant.index.embeddings import bundled_model_path
    from assistant.retrieval.rerankers import CrossEncoderReranker, make_reranker

    reranker = make_reranker(str(bundled_model_path()), Settings().rerank_weights)
    assert isinstance(reranker, CrossEncoderReranker)
    retriever = corpus_service.retriever.model_copy(update={"reranker": reranker})
    passages = retriever.retrieve("apprenticeships offer", None, 5).passages
    scores = [p.scores["cross_encoder"] for p in passages if "cross_encoder" in p.scores]
    assert len(scores) == len(passages) == 5
    with pytest.raises(ValueError, match="not found"):
        make_reranker("/no/such/model", Settings().rerank_weights)
