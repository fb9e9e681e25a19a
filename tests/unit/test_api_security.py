"""API key, CORS, body limits, error hygiene and concurrent requests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from assistant.api import security
from assistant.api.app import create_app
from tests.api_support import APPRENTICESHIPS, client_for, fake_corpus_service, sse_json

KEY = "s3cret-key-for-tests"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    service = fake_corpus_service(tmp_path_factory.mktemp("api-security") / "data")
    yield service
    service.close()


@pytest.fixture(scope="module")
def keyed(service):
    return client_for(service, api_key=KEY)


# -- API key ---------------------------------------------------------------------------------
PROTECTED = [
    ("GET", "/api/v1/documents"),
    ("GET", "/api/v1/search?q=apprenticeships"),
    ("POST", "/api/v1/ask"),
    ("POST", "/api/v1/ask/stream"),
    ("GET", "/api/v1/feedback"),
    ("GET", "/v1/models"),
    ("POST", "/v1/chat/completions"),
    ("DELETE", "/api/v1/documents/city-of-london-mid-term-review"),
    ("GET", "/openapi.json"),
    ("GET", "/no-such-endpoint"),
]


@pytest.mark.parametrize("method, path", PROTECTED)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"X-API-Key": "wrong-key"},
        {"Authorization": KEY},  # no scheme
        {"Authorization": f"Basic {KEY}"},
        {"X-API-Key": KEY[:-1]},
    ],
    ids=["none", "wrong-bearer", "wrong-header", "no-scheme", "basic", "prefix"],
)
def test_every_endpoint_needs_the_key(keyed, method, path, headers):
    response = keyed.request(method, path, headers=headers, json={"question": APPRENTICESHIPS})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers", [{"Authorization": f"Bearer {KEY}"}, {"X-API-Key": KEY}], ids=["bearer", "header"]
)
def test_the_key_opens_the_api(keyed, headers):
    assert keyed.get("/api/v1/documents", headers=headers).status_code == 200
    answer = keyed.post("/api/v1/ask", headers=headers, json={"question": APPRENTICESHIPS})
    assert answer.status_code == 200 and answer.json()["citations"]
    assert keyed.get("/v1/models", headers=headers).status_code == 200


def test_health_is_open_and_nothing_was_deleted_without_the_key(keyed):
    health = keyed.get("/health")
    assert health.status_code == 200 and health.json()["documents"] == 5


def test_the_web_ui_paths_need_the_key_too(keyed):
    # Issue 12: /ui used to be skipped by the key check. Now it needs the key (or, with the
    # UI enabled, a sign-in: tests/unit/test_ui_auth.py), even where nothing is mounted.
    assert keyed.get("/ui/").status_code == 401
    assert keyed.get("/ui/gradio_api/upload").status_code == 401
    assert keyed.get("/uix").status_code == 401
    assert keyed.get("/login").status_code == 401  # no sign-in page when the UI is off


def test_keys_are_compared_in_constant_time(keyed, monkeypatch):
    calls = []
    real = security.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    assert keyed.get("/v1/models", headers={"X-API-Key": "nope"}).status_code == 401
    assert calls == [(b"nope", KEY.encode())]


def test_openapi_declares_both_key_schemes(keyed):
    schema = keyed.get("/openapi.json", headers={"X-API-Key": KEY}).json()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert schema["paths"]["/health"]["get"]["security"] == []


def test_without_a_key_configured_the_api_is_open(service):
    assert client_for(service).get("/api/v1/documents").status_code == 200


# -- CORS ------------------------------------------------------------------------------------
def test_cors_allows_only_configured_origins(service):
    client = client_for(service, cors_origins=["https://intranet.example.org"], api_key=KEY)
    preflight = client.options(
        "/api/v1/ask",
        headers={
            "Origin": "https://intranet.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200  # preflights carry no key and must not need one
    assert preflight.headers["access-control-allow-origin"] == "https://intranet.example.org"
    actual = client.get(
        "/api/v1/documents",
        headers={"Origin": "https://intranet.example.org", "Authorization": f"Bearer {KEY}"},
    )
    assert actual.headers["access-control-allow-origin"] == "https://intranet.example.org"
    other = client.get(
        "/api/v1/documents", headers={"Origin": "https://evil.example", "X-API-Key": KEY}
    )
    assert "access-control-allow-origin" not in other.headers
    assert (
        "access-control-allow-origin"
        not in client_for(service)
        .get("/health", headers={"Origin": "https://intranet.example.org"})
        .headers
    )


# -- body limits -----------------------------------------------------------------------------
def test_json_body_over_the_limit_is_413_naming_it(keyed):
    big = b'{"question": "' + b"a" * (security.JSON_BODY_LIMIT + 10) + b'"}'
    response = keyed.post(
        "/api/v1/ask",
        content=big,
        headers={"X-API-Key": KEY, "content-type": "application/json"},
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["limit_bytes"] == security.JSON_BODY_LIMIT
    assert str(security.JSON_BODY_LIMIT) in error["message"]


def test_streamed_body_without_length_is_cut_off_at_the_limit(service):
    sent = []

    def body():
        for _ in range(100):
            sent.append(1)
            yield b"x" * 65536  # 6.4 MB in chunks, no Content-Length

    response = client_for(service).post(
        "/api/v1/feedback", content=body(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_bad_content_length_is_400(service):
    response = client_for(service).post(
        "/api/v1/ask", content=b"{}", headers={"content-length": "lots"}
    )
    assert response.status_code == 400


# -- error hygiene ---------------------------------------------------------------------------
def test_unexpected_errors_are_500_without_details(service, monkeypatch, caplog):
    def broken():
        raise RuntimeError("password=hunter2 in /srv/secret")

    monkeypatch.setattr(service, "documents", broken)
    response = client_for(service).get("/api/v1/documents")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error" and error["request_id"]
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert any("hunter2" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_chat_stream_errors_arrive_as_an_openai_error_chunk(service, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret")
        yield  # pragma: no cover

    monkeypatch.setattr(service, "ask_stream", explode)
    response = client_for(service).post(
        "/v1/chat/completions",
        json={"stream": True, "messages": [{"role": "user", "content": APPRENTICESHIPS}]},
    )
    events = [data for _, data in sse_json(response.text)]
    assert events[-1] == "[DONE]"
    assert events[-2]["error"]["code"] == "internal_error"
    assert "secret" not in response.text


def test_wrong_method_and_unknown_path_use_the_error_shape(service):
    client = client_for(service)
    wrong = client.put("/api/v1/ask", json={})
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
    missing = client.get("/api/v2/ask")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_root_points_to_the_docs(service):
    body = client_for(service).get("/").json()
    assert body["docs"] == "/docs" and body["ui"] is None


# -- concurrency -----------------------------------------------------------------------------
def test_concurrent_requests_are_answered_correctly(service):
    questions = [
        APPRENTICESHIPS,
        "How do partners view the Education Strategy Unit?",
        "What is the Kirklees learning strategy?",
        "What are the recommendations of the feasibility study?",
        "How is Birmingham doing as a learning city?",
    ]
    barrier = threading.Barrier(10)
    with TestClient(create_app(service.settings, service)) as client:
        expected = {q: client.post("/api/v1/ask", json={"question": q}).json() for q in questions}

        def ask(i: int):
            barrier.wait(timeout=30)
            question = questions[i % len(questions)]
            if i % 4 == 3:
                return question, client.get("/api/v1/search", params={"q": question, "k": 3})
            return question, client.post("/api/v1/ask", json={"question": question})

        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(ask, range(40)))
    for question, response in results:
        assert response.status_code == 200
        body = response.json()
        if "answer" in body:
            assert body["question"] == question
            assert body["answer"] == expected[question]["answer"]
        else:
            assert body["query"] == question and body["count"] == 3
