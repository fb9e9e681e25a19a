"""A real server process (`python -m assistant serve`) over HTTP, with the real OpenAI client.

The server runs on a free loopback port against the seed index the session fixture built, with
an API key, the web UI off, and is always terminated at the end.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from tests.api_support import APPRENTICESHIPS, parse_sse
from tests.servers import free_port, running_process, serve_command

pytestmark = pytest.mark.integration
KEY = "server-test-key"
MID_TERM = "city-of-london-mid-term-review"
STARTUP_TIMEOUT = 240.0  # model load on a busy CI machine


@pytest.fixture(scope="module")
def server(corpus_service, real_data_dir, tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(real_data_dir),
        "ASSISTANT_EMBEDDING_MODEL": "bundled",
        "ASSISTANT_UI_ENABLED": "false",
        "ASSISTANT_API_KEY": KEY,
        "ASSISTANT_LLM": "none",
    }
    base = f"http://127.0.0.1:{port}"
    with running_process(
        serve_command(port), f"{base}/health", log_path, env=env, timeout=STARTUP_TIMEOUT
    ):
        yield base


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server, headers={"X-API-Key": KEY}, timeout=60) as client:
        yield client


@pytest.fixture
def oai(server):
    return openai.OpenAI(base_url=f"{server}/v1", api_key=KEY, max_retries=0, timeout=60)


def has_apprenticeship_citation(citations: list[dict]) -> bool:
    return any(c["doc_id"] == MID_TERM and "apprenticeships offer" in c["text"] for c in citations)


def test_health_is_open_and_reports_the_index(server):
    body = httpx.get(f"{server}/health", timeout=10).json()
    assert body["status"] == "ok" and body["documents"] == 5
    assert body["embedding_model"] == "all-MiniLM-L6-v2"
    assert body["query_encoder"] == "onnx"  # the real server encodes questions with ONNX Runtime
    assert httpx.get(f"{server}/api/v1/documents", timeout=10).status_code == 401


def test_ask_over_http(http):
    response = http.post("/api/v1/ask", json={"question": APPRENTICESHIPS})
    assert response.status_code == 200
    answer = response.json()
    assert not answer["abstained"] and has_apprenticeship_citation(answer["citations"])
    assert answer["timings"]["total_ms"] > 0


def test_sse_stream_over_http(http):
    with http.stream("POST", "/api/v1/ask/stream", json={"question": APPRENTICESHIPS}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = parse_sse(body)
    names = [name for name, _ in events]
    assert names[0] == "delta" and names[-2:] == ["answer", "done"]
    answer = json.loads(events[-2][1])
    deltas = "".join(json.loads(data)["text"] for name, data in events if name == "delta")
    assert deltas == answer["answer"]
    assert has_apprenticeship_citation(answer["citations"])


def test_openai_client_non_streaming(oai):
    assert [m.id for m in oai.models.list()] == ["strategy-assistant"]
    completion = oai.chat.completions.create(
        model="strategy-assistant",
        messages=[
            {"role": "system", "content": "Answer from the documents."},
            {"role": "user", "content": APPRENTICESHIPS},
        ],
    )
    content = completion.choices[0].message.content
    assert "apprenticeships offer had improved significantly" in content
    assert "\nSources:\n[1] " in content
    citations = completion.model_extra["citations"]
    assert has_apprenticeship_citation(citations)
    assert completion.choices[0].finish_reason == "stop"


def test_openai_client_streaming(oai):
    stream = oai.chat.completions.create(
        model="strategy-assistant",
        messages=[{"role": "user", "content": APPRENTICESHIPS}],
        stream=True,
    )
    pieces, citations, finish = [], None, None
    for chunk in stream:
        choice = chunk.choices[0]
        pieces.append(choice.delta.content or "")
        if choice.finish_reason:
            finish = choice.finish_reason
            citations = chunk.model_extra["citations"]
    text = "".join(pieces)
    assert finish == "stop"
    assert "apprenticeships offer had improved significantly" in text and "Sources:" in text
    assert has_apprenticeship_citation(citations)


def test_openai_client_errors(server, oai):
    wrong = openai.OpenAI(base_url=f"{server}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi?"}])
    with pytest.raises(openai.UnprocessableEntityError) as raised:
        oai.chat.completions.create(
            model="strategy-assistant", messages=[{"role": "user", "content": " "}]
        )
    assert "empty" in str(raised.value)


def test_concurrent_clients_over_http(server):
    questions = [
        APPRENTICESHIPS,
        "How do partners view the City's Education Strategy Unit?",
        "What did adult learning tutors say about the impact of the pandemic?",
        "What is the boiling point of mercury?",
    ]

    def ask(i: int):
        question = questions[i % len(questions)]
        with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {KEY}"}) as client:
            return question, client.post("/api/v1/ask", json={"question": question}, timeout=120)

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(ask, range(24)))
    for question, response in results:
        assert response.status_code == 200
        assert response.json()["question"] == question
