"""An unavailable vector index is a 503 with a JSON error and Retry-After on every endpoint.

Issue 12, item 5, on fakes: the vector store raises ``IndexUnavailable`` as the Chroma-server
client does when the server is frozen or gone (tests/integration/test_chroma_faults.py runs
the real thing); here each endpoint's mapping is checked, and that an unreachable server URL
fails fast at start-up instead of hanging.
"""

from __future__ import annotations

import time

import pytest

from assistant.core.errors import IndexUnavailable
from assistant.index.vector_store import ChromaVectorStore, make_chroma_client
from tests.api_support import APPRENTICESHIPS, client_for, fake_corpus_service
from tests.servers import free_port

DOWN = "The vector index (Chroma server at http://127.0.0.1:1) is unavailable: refused."


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """Passages found by Chroma's query, as above ``passage_scan_limit`` (below it questions
    need no Chroma: see the last test)."""
    folder = tmp_path_factory.mktemp("unavailable") / "data"
    service = fake_corpus_service(folder, passage_scan_limit=0)
    yield service
    service.close()


@pytest.fixture
def down(service, monkeypatch):
    """The service's vector store behaves as one whose Chroma server is down."""

    def unavailable(*args, **kwargs):
        raise IndexUnavailable(DOWN, retry_after=3)

    for name in ("query", "upsert", "delete", "count", "all_ids", "check_available"):
        monkeypatch.setattr(service.store.vectors, name, unavailable)
    return client_for(service)


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.text[:300]
    assert response.headers["retry-after"] == "3"
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "index_unavailable" and error["message"] == DOWN


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("post", "/api/v1/ask", {"json": {"question": APPRENTICESHIPS + " (503)"}}),
        ("post", "/api/v1/ask/stream", {"json": {"question": APPRENTICESHIPS + " (stream)"}}),
        ("get", "/api/v1/search", {"params": {"q": "apprenticeships"}}),
        (
            "post",
            "/api/v1/compare",
            {"json": {"question": "skills", "doc_ids": ["kirklees-learning-strategy-scrutiny"]}},
        ),
        (
            "post",
            "/v1/chat/completions",
            {"json": {"messages": [{"role": "user", "content": "apprenticeships?"}]}},
        ),
        (
            "post",
            "/v1/chat/completions",
            {"json": {"stream": True, "messages": [{"role": "user", "content": "skills?"}]}},
        ),
        ("delete", "/api/v1/documents/birmingham-learning-city-survey", {}),
    ],
    ids=["ask", "ask-stream", "search", "compare", "chat", "chat-stream", "delete"],
)
def test_every_question_endpoint_answers_503_with_retry_after(down, method, path, kwargs):
    assert_unavailable(getattr(down, method)(path, **kwargs))


def test_an_upload_answers_503(down):
    files = {"file": ("note-on-skills.txt", b"A short note on skills and apprenticeships.\n" * 5)}
    assert_unavailable(down.post("/api/v1/documents", files=files))


def test_health_says_what_is_down(down):
    response = down.get("/health")
    assert response.status_code == 503 and response.headers["retry-after"] == "3"
    body = response.json()
    assert body["status"] == "unavailable" and body["down"] == {"vector_index": DOWN}
    assert body["error"]["code"] == "index_unavailable"


def test_an_unreachable_chroma_server_fails_fast_at_start(tmp_path):
    started = time.perf_counter()
    with pytest.raises(IndexUnavailable, match="did not answer"):
        make_chroma_client(f"http://127.0.0.1:{free_port()}", tmp_path / "unused", timeout=0.5)
    assert time.perf_counter() - started < 3


def test_the_embedded_store_is_not_remote_and_never_times_out(tmp_path):
    store = ChromaVectorStore(make_chroma_client(None, tmp_path / "chroma", 0.001), "passages")
    assert not store.remote
    store.check_available()  # nothing to probe: always there
    assert store.count() == 0


def test_below_the_scan_limit_questions_are_answered_while_chroma_is_down(service, monkeypatch):
    """Up to ``passage_scan_limit`` passages the nearest passages are scanned from the vectors
    the registry holds, so a question needs no Chroma; a write still does."""
    scanning = service.retriever.model_copy(update={"passage_scan_limit": 10**6})
    monkeypatch.setattr(service.asking, "retriever", scanning)

    def unavailable(*args, **kwargs):
        raise IndexUnavailable(DOWN, retry_after=3)

    for name in ("query", "upsert", "delete", "count", "all_ids", "check_available"):
        monkeypatch.setattr(service.store.vectors, name, unavailable)
    client = client_for(service)
    response = client.post("/api/v1/ask", json={"question": "Partners on apprenticeships?"})
    assert response.status_code == 200, response.text[:300]
    assert not response.json()["cached"] and response.json()["citations"]
    assert_unavailable(client.delete("/api/v1/documents/birmingham-learning-city-survey"))
