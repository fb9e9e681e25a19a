"""The HTTP API through FastAPI's TestClient: ask, stream, search, browse, OpenAI facade.

These run on fake embeddings over the ingested seed corpus (fast); they check the contract
(shapes, offsets, errors), not answer quality, which tests/integration/test_api_answers.py covers.
"""

from __future__ import annotations

import pytest

from assistant.core.normalise import normalise_text
from assistant.core.settings import PROJECT_ROOT
from tests.api_support import (
    APPRENTICESHIPS,
    CITATION_KEYS,
    client_for,
    fake_corpus_service,
    sse_json,
)

DOC_IDS = {
    "city-of-london-mid-term-review",
    "city-of-london-esc-feasibility-study",
    "kirklees-learning-strategy-scrutiny",
    "greater-manchester-education-skills",
    "birmingham-learning-city-survey",
}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    service = fake_corpus_service(tmp_path_factory.mktemp("api") / "data")
    yield service
    service.close()


@pytest.fixture(scope="module")
def client(service):
    return client_for(service)


def same_words(first: str, second: str) -> bool:
    """Passage text equals the document slice up to whitespace (blank lines are collapsed)."""
    return first.split() == second.split()


def with_sources(answer: str, citations: list[dict]) -> str:
    """The OpenAI facade's message: the answer, then one "[n] title — section, p. page" line
    per citation."""
    lines = [
        f"[{c['n']}] {c['title']}"
        + (f" — {c['section']}" if c["section"] else "")
        + (f", p. {c['page']}" if c["page"] else "")
        for c in citations
    ]
    return answer + "\n\nSources:\n" + "\n".join(lines)


def document_text(client, doc_id: str) -> str:
    response = client.get(f"/api/v1/documents/{doc_id}/text")
    assert response.status_code == 200
    return response.json()["text"]


# -- health ----------------------------------------------------------------------------------
def test_health_reports_the_loaded_index(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["documents"] == 5
    assert body["chunks"] == body["vectors"] > 0
    assert body["embedding_model"] == "fake:64"
    assert body["query_encoder"] == "fake"
    assert set(body["answer_cache"]) == {"size", "entries", "hits", "misses"}


def test_health_is_503_when_the_index_cannot_be_read(service, monkeypatch):
    def broken():
        raise RuntimeError("database is locked at /secret/path")

    monkeypatch.setattr(service, "health", broken)
    response = client_for(service).get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "/secret/path" not in response.text


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/openapi.json").json()
    for path in (
        "/api/v1/ask",
        "/api/v1/ask/stream",
        "/api/v1/search",
        "/api/v1/documents",
        "/api/v1/documents/{doc_id}",
        "/api/v1/passages/{chunk_id}",
        "/api/v1/recommendations",
        "/api/v1/feedback",
        "/v1/chat/completions",
        "/v1/models",
        "/health",
    ):
        assert path in schema["paths"], path
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


# -- ask -------------------------------------------------------------------------------------
def test_ask_returns_the_answer_object_with_offsets_and_timings(client):
    response = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS})
    assert response.status_code == 200
    answer = response.json()
    assert {"question", "answer", "abstained", "citations", "timings"} <= set(answer)
    assert answer["question"] == APPRENTICESHIPS
    assert answer["citations"], "the fake index always returns passages"
    assert answer["timings"]["total_ms"] > 0
    assert "total;dur=" in response.headers["server-timing"]
    for citation in answer["citations"]:
        assert set(citation) >= CITATION_KEYS
        text = document_text(client, citation["doc_id"])
        assert 0 <= citation["start"] < citation["end"] <= len(text)
        if citation["kind"] != "table":  # table rows are rendered "Header: value"
            assert same_words(text[citation["start"] : citation["end"]], citation["text"])
        if citation["sentence_start"] is not None:
            assert 0 <= citation["sentence_start"] < citation["sentence_end"]
            assert citation["sentence_end"] <= len(citation["text"])
    if not answer["abstained"]:
        for citation in answer["citations"]:
            assert f"[{citation['n']}]" in answer["answer"]


def test_ask_respects_document_filters_and_top_k(client):
    doc = "kirklees-learning-strategy-scrutiny"
    response = client.post(
        "/api/v1/ask",
        json={"question": "What is the learning strategy?", "filters": {"doc_ids": [doc]}},
    )
    assert response.status_code == 200
    citations = response.json()["citations"]
    assert citations and {c["doc_id"] for c in citations} == {doc}
    response = client.post(
        "/api/v1/ask",
        json={"question": "learning", "filters": {"places": ["Birmingham"]}, "top_k": 2},
    )
    assert response.status_code == 200
    assert {c["doc_id"] for c in response.json()["citations"]} <= {
        "birmingham-learning-city-survey"
    }


def test_ask_resolves_a_follow_up_against_the_history(client):
    history = [
        {"role": "user", "content": APPRENTICESHIPS},
        {"role": "assistant", "content": "Partners said the offer had improved. [1]"},
    ]
    response = client.post(
        "/api/v1/ask", json={"question": "And what about adult learners?", "history": history}
    )
    assert response.status_code == 200
    rewritten = response.json()["rewritten_question"]
    assert rewritten and "adult learners" in rewritten and "partners" in rewritten.lower()


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_422(client, question):
    response = client.post("/api/v1/ask", json={"question": question})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_question"
    assert "empty" in error["message"]


def test_too_long_question_is_422_naming_the_limit(client, service):
    limit = service.settings.max_question_chars
    response = client.post("/api/v1/ask", json={"question": "why " * (limit // 4 + 1)})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_question"
    assert error["max_question_chars"] == limit
    assert str(limit) in error["message"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "question"),
        ({"question": 42}, "question"),
        ({"question": "q?", "top_k": 0}, "top_k"),
        ({"question": "q?", "top_k": 51}, "top_k"),
        ({"question": "q?", "history": [{"role": "system", "content": "x"}]}, "role"),
        ({"question": "q?", "qestion": "typo"}, "qestion"),
        ({"question": "q?", "filters": {"doc_ids": "not-a-list"}}, "doc_ids"),
    ],
)
def test_invalid_ask_bodies_are_422_with_the_field(client, body, field):
    response = client.post("/api/v1/ask", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(field in detail["loc"] for detail in error["details"])


def test_malformed_json_is_422_not_500(client):
    response = client.post(
        "/api/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


# -- ask/stream ------------------------------------------------------------------------------
def test_stream_sends_deltas_then_the_answer_then_done(client):
    response = client.post("/api/v1/ask/stream", json={"question": APPRENTICESHIPS})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_json(response.text)
    names = [name for name, _ in events]
    assert names[-2:] == ["answer", "done"]
    assert set(names[:-2]) == {"delta"}
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    answer = events[-2][1]
    assert streamed == answer["answer"]
    plain = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS}).json()
    assert answer["answer"] == plain["answer"]
    assert [c["chunk_id"] for c in answer["citations"]] == [
        c["chunk_id"] for c in plain["citations"]
    ]


def test_stream_rejects_a_bad_question_before_streaming(client):
    response = client.post("/api/v1/ask/stream", json={"question": "  "})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "invalid_question"


def test_an_error_inside_the_stream_is_an_error_event(service, monkeypatch):
    def half_then_explode(*args, **kwargs):
        yield "The first part "
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "ask_stream", half_then_explode)
    response = client_for(service).post("/api/v1/ask/stream", json={"question": APPRENTICESHIPS})
    assert response.status_code == 200
    events = sse_json(response.text)
    assert [name for name, _ in events] == ["delta", "error", "done"]
    assert events[1][1]["error"]["code"] == "internal_error"
    assert "secret internals" not in response.text and "Traceback" not in response.text


# -- search ----------------------------------------------------------------------------------
def test_search_returns_ranked_passages_with_document_meta(client):
    response = client.get("/api/v1/search", params={"q": "apprenticeships", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "apprenticeships" and body["count"] == len(body["passages"]) == 3
    for passage in body["passages"]:
        assert {"chunk_id", "doc_id", "text", "start", "end", "section_path"} <= set(
            passage["chunk"]
        )
        assert passage["document"]["doc_id"] == passage["chunk"]["doc_id"]
        assert passage["document"]["title"]
        assert isinstance(passage["score"], float)


def test_search_with_repeated_doc_filter(client):
    docs = ["birmingham-learning-city-survey", "kirklees-learning-strategy-scrutiny"]
    response = client.get("/api/v1/search", params={"q": "learning", "k": 10, "doc": docs})
    assert response.status_code == 200
    found = {p["chunk"]["doc_id"] for p in response.json()["passages"]}
    assert found and found <= set(docs)


@pytest.mark.parametrize(
    "params, status",
    [({}, 422), ({"q": " "}, 422), ({"q": "x", "k": 0}, 422), ({"q": "x", "k": "many"}, 422)],
)
def test_search_errors(client, params, status):
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == status
    assert response.json()["error"]["code"] in {"validation_error", "invalid_question"}


# -- documents, passages, recommendations ----------------------------------------------------
def test_document_list_and_detail_with_outline(client):
    response = client.get("/api/v1/documents")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert {d["meta"]["doc_id"] for d in body["documents"]} == DOC_IDS
    summary = next(
        d for d in body["documents"] if d["meta"]["doc_id"] == "city-of-london-mid-term-review"
    )
    assert summary["meta"]["place"] == "City of London"
    detail = client.get("/api/v1/documents/city-of-london-mid-term-review").json()
    assert detail["chunk_count"] == summary["chunk_count"]
    assert sum(s["chunk_count"] for s in detail["outline"]) == detail["chunk_count"]
    starts = [s["start"] for s in detail["outline"]]
    assert starts == sorted(starts)
    assert detail["char_count"] == len(document_text(client, "city-of-london-mid-term-review"))


@pytest.mark.parametrize("doc_id", sorted(DOC_IDS))
def test_document_text_is_the_normalised_source(client, doc_id):
    source = (PROJECT_ROOT / "corpus" / f"{doc_id}.txt").read_text(encoding="utf-8")
    assert document_text(client, doc_id) == normalise_text(source)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/documents/no-such-doc",
        "/api/v1/documents/no-such-doc/text",
        "/api/v1/passages/no-such-doc:000000000000:0001",
    ],
)
def test_unknown_ids_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_passage_view_for_source_viewers(client):
    hit = client.get("/api/v1/search", params={"q": "apprenticeships", "k": 1}).json()
    chunk = hit["passages"][0]["chunk"]
    response = client.get(f"/api/v1/passages/{chunk['chunk_id']}", params={"context_chars": 200})
    assert response.status_code == 200
    view = response.json()
    assert view["chunk"] == chunk
    text = document_text(client, chunk["doc_id"])
    assert 0 <= chunk["start"] < chunk["end"] <= len(text)
    assert view["context_before"] == text[max(0, chunk["start"] - 200) : chunk["start"]]
    assert view["context_after"] == text[chunk["end"] : chunk["end"] + 200]
    for neighbour in (view["previous_id"], view["next_id"]):
        if neighbour:
            other = client.get(f"/api/v1/passages/{neighbour}").json()
            assert other["chunk"]["doc_id"] == chunk["doc_id"]
            assert abs(other["chunk"]["ordinal"] - chunk["ordinal"]) == 1


def test_recommendations(client):
    response = client.get("/api/v1/recommendations")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["recommendations"]) > 0
    assert {p["chunk"]["kind"] for p in body["recommendations"]} == {"recommendation"}


def test_compare_asks_each_document(client):
    docs = ["city-of-london-mid-term-review", "kirklees-learning-strategy-scrutiny"]
    response = client.post(
        "/api/v1/compare", json={"question": "What are the aims?", "doc_ids": docs}
    )
    assert response.status_code == 200
    answers = response.json()["answers"]
    assert set(answers) == set(docs)
    for doc, answer in answers.items():
        assert {c["doc_id"] for c in answer["citations"]} <= {doc}
    missing = client.post("/api/v1/compare", json={"question": "aims?", "doc_ids": ["nope"]})
    assert missing.status_code == 404


# -- OpenAI-compatible facade ----------------------------------------------------------------
def test_models_lists_the_assistant(client):
    body = client.get("/v1/models").json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["strategy-assistant"]
    assert client.get("/v1/models/strategy-assistant").status_code == 200
    assert client.get("/v1/models/gpt-4o").status_code == 404


def test_chat_completion_carries_citations_in_text_and_field(client):
    response = client.post(
        "/v1/chat/completions",
        json={
            "model": "strategy-assistant",
            "messages": [
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "content": APPRENTICESHIPS},
            ],
            "temperature": 0.2,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    content = choice["message"]["content"]
    plain = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS}).json()
    assert body["citations"] == plain["citations"]
    assert content == with_sources(plain["answer"], plain["citations"])
    assert body["usage"]["total_tokens"] > 0


def test_chat_completion_stream_uses_openai_chunks(client):
    response = client.post(
        "/v1/chat/completions",
        json={
            "model": "strategy-assistant",
            "stream": True,
            "messages": [{"role": "user", "content": [{"type": "text", "text": APPRENTICESHIPS}]}],
        },
    )
    assert response.status_code == 200
    events = sse_json(response.text)
    assert events[-1][1] == "[DONE]"
    chunks = [data for _, data in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    plain = client.post(
        "/v1/chat/completions",
        json={
            "model": "strategy-assistant",
            "messages": [{"role": "user", "content": APPRENTICESHIPS}],
        },
    ).json()
    assert text == plain["choices"][0]["message"]["content"]


def test_chat_history_is_used_for_follow_ups(client):
    messages = [
        {"role": "user", "content": APPRENTICESHIPS},
        {"role": "assistant", "content": "They said it improved. [1]"},
        {"role": "user", "content": "And what about adult learners?"},
    ]
    response = client.post(
        "/v1/chat/completions", json={"model": "strategy-assistant", "messages": messages}
    )
    assert response.status_code == 200
    direct = client.post(
        "/api/v1/ask",
        json={"question": messages[-1]["content"], "history": messages[:-1]},
    ).json()
    assert direct["rewritten_question"]  # the history was used
    content = response.json()["choices"][0]["message"]["content"]
    assert content == with_sources(direct["answer"], direct["citations"])


@pytest.mark.parametrize(
    "body, status, code",
    [
        (
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi?"}]},
            404,
            "model_not_found",
        ),
        (
            {"messages": [{"role": "system", "content": "only a system prompt"}]},
            422,
            "invalid_question",
        ),
        ({"messages": [{"role": "user", "content": "   "}]}, 422, "invalid_question"),
        ({"messages": []}, 422, "validation_error"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, 422, "validation_error"),
    ],
)
def test_chat_completion_errors(client, body, status, code):
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
