"""A 20 MB upload to a real server process (`python -m assistant serve` on loopback) is a job
(issue 14, "Must show"): the POST returns in under 2 s with a job id, progress increases across
polls, questions asked meanwhile get 200, and afterwards the document is searchable and cited.
And a server killed (SIGKILL) mid-job restarts consistent: the job reads failed, nothing of the
upload is in the index, and its name is free again.

The server runs on fake embeddings (``fake:64``): the bundled model embeds about 50 texts a
second on a shared 2-core machine, and 20 MB of council text is about 180,000 texts (an hour).
What is measured is the job machinery, not the answers' quality ("answerable": an ask scoped
to the new document is answered from it). The figures are printed and written to
``test-artifacts/upload-jobs.json``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from assistant.core.settings import PROJECT_ROOT
from tests.api_support import APPRENTICESHIPS, fake_corpus_service
from tests.big_text import FINDING, council_text
from tests.servers import free_port, running_process, serve_command

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
QUESTIONS = [  # a different question each time: the answer cache must not answer for the index
    APPRENTICESHIPS,
    "What are the recommendations of the City of London mid-term review?",
    "How will Kirklees co-produce its learning strategy?",
    "What does Greater Manchester propose for adult education?",
    "Where does Birmingham still have some way to go as a learning city?",
]
KEY = "upload-jobs-test-key"
MB20 = 20_000_000
ARTIFACT = PROJECT_ROOT / "test-artifacts" / "upload-jobs.json"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("upload-jobs") / "data"
    fake_corpus_service(data_dir).close()  # the seed corpus on fake embeddings
    return data_dir


@contextmanager
def server(data_dir: Path, log: Path) -> Iterator[tuple[httpx.Client, object]]:
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_EMBEDDING_MODEL": "fake:64",
        "ASSISTANT_UI_ENABLED": "false",
        "ASSISTANT_API_KEY": KEY,
        "ASSISTANT_LLM": "none",
        "ASSISTANT_ANSWER_CACHE_SIZE": "0",
    }
    base = f"http://127.0.0.1:{port}"
    command = serve_command(port)
    with running_process(command, f"{base}/health", log, env=env, cwd=PROJECT_ROOT) as process:
        headers = {"X-API-Key": KEY}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            yield client, process


def post_file(client: httpx.Client, name: str, data: bytes, **params) -> httpx.Response:
    return client.post(
        "/api/v1/documents", files={"file": (name, data, "text/plain")}, params=params
    )


def test_a_20_mb_upload_is_a_job_and_questions_are_answered_meanwhile(data_dir, tmp_path):
    data = council_text(MB20)
    with server(data_dir, tmp_path / "server.log") as (client, _):
        before = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS}).json()
        started = time.perf_counter()
        response = post_file(client, "wakefield-skills.txt", data)
        post_seconds = time.perf_counter() - started
        assert response.status_code == 202, response.text
        job = response.json()
        assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"

        polls, asks = [], []
        deadline = time.monotonic() + 600
        while True:
            body = client.get(f"/api/v1/jobs/{job['id']}").json()
            polls.append((round(time.perf_counter() - started, 2), body["progress"]))
            if body["state"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline, body
            asked = time.perf_counter()
            question = f"{QUESTIONS[len(asks) % 5]} ({len(asks) + 1})"
            reply = client.post("/api/v1/ask", json={"question": question})
            asks.append((reply.status_code, round(time.perf_counter() - asked, 3)))
            after = client.get(f"/api/v1/jobs/{job['id']}").json()["progress"]["stage"]
            if reply.status_code == 200 and after in ("reading", "embedding"):
                cited = {c["doc_id"] for c in reply.json()["citations"]}
                assert cited and "wakefield-skills" not in cited  # the index as it was
            time.sleep(0.3)
        job_seconds = time.perf_counter() - started
        assert body["state"] == "succeeded", body
        assert body["result"]["status"] == "added"

        done = [p["done"] for _, p in polls if p["stage"] == "embedding"]
        found = client.get(
            "/api/v1/search", params={"q": "bricklaying courses placements", "k": 20}
        ).json()["passages"]
        scoped = client.post(
            "/api/v1/ask",
            json={"question": "bricklaying courses?", "filters": {"doc_ids": ["wakefield-skills"]}},
        ).json()
        figures = {
            "embeddings": "fake:64",
            "bytes": len(data),
            "post_seconds": round(post_seconds, 3),
            "job_seconds": round(job_seconds, 1),
            "job_reported_seconds": body["result"]["seconds"],
            "passages": body["result"]["chunk_count"],
            "texts_embedded": body["progress"]["total"],
            "distinct_progress_values_seen": len(set(done)),
            "asks_during_job": len(asks),
            "asks_200": sum(1 for status, _ in asks if status == 200),
            "ask_seconds_max": max((s for _, s in asks), default=None),
            "ask_seconds_median": sorted(s for _, s in asks)[len(asks) // 2] if asks else None,
            "ask_seconds_before_job": before["timings"]["total_ms"] / 1000,
            "stages_seen": sorted({p["stage"] for _, p in polls}),
            "finding_rank_in_search": next(
                (i + 1 for i, p in enumerate(found) if FINDING in p["chunk"]["text"]), None
            ),
        }
        print(json.dumps(figures, indent=2))
        ARTIFACT.parent.mkdir(exist_ok=True)
        ARTIFACT.write_text(json.dumps({**figures, "polls": polls}, indent=1))

        assert post_seconds < 2
        assert len(set(done)) >= 3 and done == sorted(done), polls
        assert len(asks) >= 3 and {status for status, _ in asks} == {200}, asks
        # On fake vectors the dense half of the ranking is noise (and Chroma's HNSW inserts in
        # parallel), so where the finding ranks among 22,921 passages is recorded, not held.
        text = client.get("/api/v1/documents/wakefield-skills/text").json()["text"]
        assert FINDING in text
        assert {c["doc_id"] for c in scoped["citations"]} == {"wakefield-skills"}


def test_a_server_killed_mid_job_restarts_consistent(data_dir, tmp_path):
    data = council_text(8_000_000, seed=11).replace(b"Wakefield", b"Calderdale")
    with server(data_dir, tmp_path / "first.log") as (client, process):
        documents = client.get("/health").json()["documents"]
        job = post_file(client, "calderdale-skills.txt", data).json()
        deadline = time.monotonic() + 300
        while True:
            body = client.get(f"/api/v1/jobs/{job['id']}").json()
            if body["progress"]["stage"] == "embedding" and body["progress"]["done"] > 0:
                break
            assert body["state"] in ("queued", "running") and time.monotonic() < deadline, body
            time.sleep(0.1)
        process.kill()  # SIGKILL: no shutdown, no cleanup
        process.wait(timeout=30)
    with server(data_dir, tmp_path / "second.log") as (client, _):
        body = client.get(f"/api/v1/jobs/{job['id']}").json()
        assert body["state"] == "failed", body
        assert body["error"]["code"] == "interrupted"
        assert "Upload again" in body["error"]["message"]
        assert client.get("/api/v1/documents/calderdale-skills").status_code == 404
        assert client.get("/health").json()["documents"] == documents
        ask = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS})
        assert ask.status_code == 200 and ask.json()["citations"]
        listed = client.get("/api/v1/jobs", params={"state": "running"}).json()
        assert listed["count"] == 0
        again = post_file(client, "calderdale-skills.txt", data[:50_000], wait="true")
        assert again.status_code == 201, again.text
