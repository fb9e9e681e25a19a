"""``serve --workers 2`` (issue 15, target 2): two real API processes on one port over one data
folder, the Chroma server they share, and the one UI process, all started by the real command.

Checked: both workers answer; a document uploaded through the port is reported by every worker's
``/health`` generation and cited by answers on fresh connections within 1 s of the upload's
reply, and gone as quickly after a delete; two uploads at once both land, one writer at a time,
with the registry and Chroma agreeing; a CLI process opening the folder meanwhile goes through
the shared Chroma server; /ui redirects to the UI process, which keeps the API key's sign-in;
and stopping the command stops the Chroma server and removes its marker.

The servers run on fake embeddings: what is tested is the process machinery (the model and the
answers' quality have their own tests, and `strategy-assistant bench workers` measures
throughput with the real model).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.core.settings import PROJECT_ROOT
from tests.api_support import fake_corpus_service
from tests.servers import free_port, running_process, serve_command

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
KEY = "workers-test-key"
HEADERS = {"X-API-Key": KEY}
LIDO = (
    "Ashcombe Borough Council leisure board, 4 March\n\n"
    "The board noted that the Ashcombe lido reopened with 412 season tickets sold in its "
    "first month, and agreed that the heated pool stays open until October.\n"
)
QUESTION = "How many season tickets did the Ashcombe lido sell in its first month?"


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve-workers")
    data_dir = root / "data"
    fake_corpus_service(data_dir).close()  # the seed corpus on fake embeddings
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_EMBEDDING_MODEL": "fake:64",
        "ASSISTANT_API_KEY": KEY,
        "ASSISTANT_LLM": "none",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    env.pop("ASSISTANT_CHROMA_URL", None)
    base = f"http://127.0.0.1:{port}"
    command = [*serve_command(port), "--workers", "2"]
    log = root / "server.log"
    with running_process(command, f"{base}/health", log, env=env, cwd=PROJECT_ROOT):
        processes = wait_for_workers(base, 2)
        yield {"url": base, "port": port, "data_dir": data_dir, "env": env, "pids": processes}
    marker = data_dir / "index" / "chroma" / "server.json"
    assert not marker.exists(), "the Chroma server's marker outlived `serve`"


def fresh_get(url: str, path: str) -> httpx.Response:
    """A request on a new connection, so either worker may take it."""
    return httpx.get(url + path, headers=HEADERS, timeout=30)


def wait_for_workers(url: str, count: int, timeout: float = 180) -> set[int]:
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < count:
        assert time.monotonic() < deadline, f"only workers {seen} answered"
        reply = fresh_get(url, "/health")
        if reply.status_code == 200:
            seen.add(reply.json()["process"])
        time.sleep(0.05)
    return seen


def generations_seen(url: str, pids: set[int], at_least: int, within: float) -> float:
    """Seconds until every worker's /health reports generation ≥ ``at_least``; fails when a
    worker still reports an older one after ``within`` seconds."""
    started = time.perf_counter()
    current: dict[int, int] = {}
    while True:
        reply = fresh_get(url, "/health").json()
        current[reply["process"]] = reply["generation"]
        if all(current.get(pid, -1) >= at_least for pid in pids):
            return time.perf_counter() - started
        assert time.perf_counter() - started < within, current


def ask(url: str, question: str, doc_id: str) -> httpx.Response:
    """Asked of ``doc_id`` alone (fake embeddings rank passages at random, so an unscoped
    question would test them, not the workers): a worker that has not seen the upload answers
    422 (unknown document id), one that has not seen the delete cites it."""
    body = {"question": question, "filters": {"doc_ids": [doc_id]}}
    return httpx.post(url + "/api/v1/ask", json=body, headers=HEADERS, timeout=60)


def upload(url: str, name: str, text: str) -> httpx.Response:
    return httpx.post(
        url + "/api/v1/documents",
        params={"wait": "true"},
        files={"file": (name, text.encode(), "text/plain")},
        headers=HEADERS,
        timeout=120,
    )


def test_two_workers_answer_over_one_folder(workers):
    assert len(workers["pids"]) == 2
    healths = [fresh_get(workers["url"], "/health").json() for _ in range(6)]
    assert {h["generation"] for h in healths} == {healths[0]["generation"]}
    assert all(h["documents"] == 5 and h["vectors"] == h["chunks"] for h in healths)


def test_an_upload_and_a_delete_are_seen_by_every_worker_within_a_second(workers):
    url, pids = workers["url"], workers["pids"]
    before = fresh_get(url, "/health").json()["generation"]
    reply = upload(url, "ashcombe-lido.txt", LIDO)
    assert reply.status_code == 201, reply.text
    doc_id = reply.json()["doc_id"]
    committed_at = time.perf_counter()
    seen_in = generations_seen(url, pids, before + 1, within=1.0)
    answers = [ask(url, QUESTION, doc_id) for _ in range(6)]
    answered_in = time.perf_counter() - committed_at
    print(f"upload seen by both workers in {seen_in:.3f} s; 6 answers by {answered_in:.3f} s")
    for reply in answers:
        assert reply.status_code == 200, reply.text
        assert doc_id in {c["doc_id"] for c in reply.json()["citations"]}, reply.text
        assert "412" in reply.json()["answer"]

    deleted = httpx.delete(f"{url}/api/v1/documents/{doc_id}", headers=HEADERS, timeout=60)
    assert deleted.status_code == 200, deleted.text
    generations_seen(url, pids, before + 2, within=1.0)
    for _ in range(4):
        gone = ask(url, QUESTION, doc_id)
        assert gone.status_code == 422 and doc_id in gone.text, gone.text


def test_two_uploads_at_once_both_land_one_writer_at_a_time(workers):
    url = workers["url"]
    names = ["ashcombe-libraries.txt", "ashcombe-museums.txt"]
    texts = [
        "Ashcombe libraries plan\n\nThe Ashcombe library service will open on Sundays.\n",
        "Ashcombe museums plan\n\nThe Ashcombe museum will host a schools programme.\n",
    ]
    replies: list[httpx.Response] = []
    threads = [
        threading.Thread(target=lambda n=n, t=t: replies.append(upload(url, n, t)))
        for n, t in zip(names, texts, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in replies) == [201, 201], [r.text for r in replies]
    listed = httpx.get(url + "/api/v1/documents", headers=HEADERS, timeout=30).json()
    ids = {d["meta"]["doc_id"] for d in listed["documents"]}
    assert {r.json()["doc_id"] for r in replies} <= ids
    for _ in range(4):  # every worker: the registry's passages and Chroma's vectors agree
        health = fresh_get(url, "/health").json()
        assert health["vectors"] == health["chunks"] and health["documents"] == 7


def test_another_process_on_the_folder_goes_through_the_shared_chroma_server(workers):
    from assistant.index.chroma_server import running_server_url
    from assistant.index.vector_store import make_chroma_client

    chroma_dir = Path(workers["data_dir"]) / "index" / "chroma"
    server_url = running_server_url(chroma_dir)
    assert server_url and server_url.startswith("http://127.0.0.1:")
    client = make_chroma_client(None, chroma_dir, timeout=10)
    assert type(client._server).__name__ == "FastAPI"  # chromadb's HTTP API client
    health = fresh_get(workers["url"], "/health").json()
    assert client.get_collection("passages").count() == health["vectors"]


def test_the_ui_is_served_by_one_process_behind_the_same_key(workers):
    url, port = workers["url"], workers["port"]
    page_headers = {"Accept": "text/html"}
    with httpx.Client(base_url=url, timeout=60, headers=page_headers) as browser:
        refused = browser.get("/ui/")
        assert refused.status_code in (302, 303, 307) and "/login" in refused.headers["location"]
        signed_in = browser.post("/login", data={"key": KEY, "next": "/ui/"})
        assert signed_in.status_code in (302, 303), signed_in.text
        redirect = browser.get("/ui/")
        assert redirect.status_code == 307
        assert redirect.headers["location"] == f"http://127.0.0.1:{port + 1}/ui/"
        page = browser.get(redirect.headers["location"])  # the cookie ignores the port
        deadline = time.monotonic() + 120
        while page.status_code != 200 and time.monotonic() < deadline:
            time.sleep(1)  # the UI process may still be starting
            page = browser.get(redirect.headers["location"])
        assert page.status_code == 200 and "gradio" in page.text.lower()
    anonymous = httpx.get(f"http://127.0.0.1:{port + 1}/ui/", headers=page_headers, timeout=30)
    assert anonymous.status_code != 200
