"""Optional LLM generation over real HTTP: langchain-openai against a stub OpenAI server, on the
real model and the ingested seed corpus."""

from __future__ import annotations

import pytest

from assistant.application.service import AssistantService
from assistant.core.settings import Settings
from tests.llm_stub import StubLLMServer

pytestmark = pytest.mark.integration
QUESTION = "What did partners say about apprenticeships?"


def test_stub_openai_server_end_to_end(corpus_service, real_data_dir, real_embeddings):
    """Real HTTP through langchain-openai to a stub server: wrong citation and unsupported claim."""
    beyond = f"[{Settings().top_k + 2}]"  # a passage number the answer was not given
    reply = (
        "In adult learning, partners agreed that the apprenticeships offer had improved "
        f"significantly [1]. The City also built a new stadium [2]. See also {beyond}."
    )
    with StubLLMServer([reply]) as stub:
        settings = Settings(
            data_dir=real_data_dir,
            llm="openai",
            llm_model="stub-model",
            llm_base_url=stub.url,
            llm_api_key="secret",
            llm_timeout=10,
        )
        service = AssistantService(settings, embeddings=real_embeddings)  # the ingested corpus
        answer = service.ask(QUESTION)
        streamed = list(service.ask_stream(QUESTION))
    assert stub.requests and stub.requests[0]["model"] == "stub-model"
    sent = stub.requests[0]["messages"]
    assert sent[0]["role"] == "system" and '<passage n="1"' in sent[-1]["content"]
    assert beyond not in answer.answer and beyond in answer.notice
    supported = {s.text.split()[0]: s.supported for s in answer.sentences}
    assert supported["In"] is True, answer.sentences
    assert supported["The"] is False, answer.sentences
    assert any("apprenticeships offer" in c.text for c in answer.citations)
    assert isinstance(streamed[-1], type(answer)) and len(streamed) > 2  # tokens, then answer


def test_stub_server_timeout_falls_back(corpus_service, real_data_dir, real_embeddings):
    with StubLLMServer(["too late [1]."], delay=3.0) as stub:
        settings = Settings(
            data_dir=real_data_dir,
            llm="openai",
            llm_model="slow",
            llm_base_url=stub.url,
            llm_timeout=0.5,
        )
        service = AssistantService(settings, embeddings=real_embeddings)
        answer = service.ask(QUESTION)
    assert answer.backend.startswith("extractive (fallback")
    assert "failed" in answer.notice
    assert any("apprenticeships offer" in c.text for c in answer.citations)
