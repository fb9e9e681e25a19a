"""Uploads and deletes while people ask, against a real server process (issue 12, item 3).

Two writers upload a fresh document and delete it again, cycle after cycle, while six clients
ask and search. Every request must answer without a 5xx or a dropped connection, every write
that reported success must be visible (and every delete gone) right after, and when the server
has stopped the registry, Chroma and the BM25 index on disk must hold the same passages.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from assistant.application.service import AssistantService
from assistant.core.settings import Settings
from assistant.index.index_store import IndexStore
from assistant.index.keyword_index import KeywordIndex
from tests.conftest import CORPUS
from tests.servers import free_port, running_process, serve_command

pytestmark = pytest.mark.integration
CYCLES = 40  # upload + delete, split between the writers
WRITERS = 2
ASKERS = 6
SEED = ("city-of-london-mid-term-review.txt", "birmingham-learning-city-survey.txt")
QUESTIONS = (
    "What did partners say about apprenticeships?",
    "Which libraries host evening classes for the churn study?",
    "What does the churn plan say about museum opening hours?",
)


def churn_text(writer: int, cycle: int) -> str:
    return (
        f"# Churn plan {writer}-{cycle}\n\n"
        f"Libraries host evening classes for the churn study number {cycle}. "
        "Adult learners asked for more places on weekday evenings.\n\n"
        "## Museums\n\n"
        f"Museums open late on Fridays in district {writer}. "
        "The council will review opening hours every year.\n"
    )


@pytest.fixture
def churn_server(tmp_path, real_embeddings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SEED:
        shutil.copy(CORPUS / name, corpus / name)
    data_dir = tmp_path / "data"
    service = AssistantService(Settings(data_dir=data_dir), embeddings=real_embeddings)
    service.ingest_folder(corpus)
    service.close()
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_EMBEDDING_MODEL": "bundled",
        "ASSISTANT_UI_ENABLED": "false",
        "ASSISTANT_LLM": "none",
    }
    env.pop("ASSISTANT_API_KEY", None)
    base = f"http://127.0.0.1:{port}"
    process = running_process(
        serve_command(port), f"{base}/health", tmp_path / "server.log", env=env, timeout=240
    )
    yield base, data_dir, process, tmp_path / "server.log"


def test_uploads_and_deletes_while_asking(churn_server):
    base, data_dir, process, log_path = churn_server
    statuses: Counter[str] = Counter()
    problems: list[str] = []
    lock = threading.Lock()
    writing = threading.Event()

    def note(kind: str, response: httpx.Response | None, error: Exception | None = None) -> None:
        with lock:
            if error is not None:
                statuses[f"{kind}:{type(error).__name__}"] += 1
                problems.append(f"{kind}: {type(error).__name__}: {error}")
            else:
                statuses[f"{kind}:{response.status_code}"] += 1
                if response.status_code >= 500:
                    problems.append(f"{kind}: {response.status_code} {response.text[:300]}")

    def writer(number: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            for cycle in range(number, CYCLES, WRITERS):
                try:
                    write_cycle(client, number, cycle)
                except httpx.TransportError as exc:
                    note("write", None, exc)

    def write_cycle(client: httpx.Client, number: int, cycle: int) -> None:
        doc_id = f"churn-{number}-{cycle}"
        files = {"file": (f"{doc_id}.txt", churn_text(number, cycle).encode(), "text/plain")}
        up = client.post("/api/v1/documents", files=files)
        note("upload", up)
        if up.status_code == 201:
            seen = client.get(f"/api/v1/documents/{doc_id}")
            if seen.status_code != 200:
                problems.append(f"upload {doc_id} reported 201 but reads {seen.status_code}")
        down = client.delete(f"/api/v1/documents/{doc_id}")
        note("delete", down)
        if down.status_code == 200:
            gone = client.get(f"/api/v1/documents/{doc_id}")
            if gone.status_code != 404:
                problems.append(f"delete {doc_id} reported 200 but reads {gone.status_code}")
        elif down.status_code >= 500:
            client.delete(f"/api/v1/documents/{doc_id}")  # leave nothing behind

    def asker(number: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            turn = number
            while writing.is_set():
                question = QUESTIONS[turn % len(QUESTIONS)]
                try:
                    if turn % 3 == 2:
                        response = client.get("/api/v1/search", params={"q": question, "k": 5})
                        note("search", response)
                    else:
                        response = client.post("/api/v1/ask", json={"question": question})
                        note("ask", response)
                except httpx.TransportError as exc:
                    note("ask", None, exc)
                turn += 1

    with process:
        started = time.perf_counter()
        writing.set()
        with ThreadPoolExecutor(WRITERS + ASKERS) as pool:
            askers = [pool.submit(asker, n) for n in range(ASKERS)]
            writers = [pool.submit(writer, n) for n in range(WRITERS)]
            try:
                for future in writers:
                    future.result(timeout=300)
            finally:
                writing.clear()  # the askers stop whatever happened to the writers
            for future in askers:
                future.result(timeout=300)
        seconds = time.perf_counter() - started
        health = httpx.get(f"{base}/health", timeout=30).json()

    asks = sum(count for key, count in statuses.items() if key.startswith(("ask", "search")))
    summary = f"{CYCLES} cycles, {asks} asks/searches in {seconds:.1f}s: {dict(statuses)}"
    print(summary)
    assert not problems, summary + "\n" + "\n".join(problems[:20]) + "\n" + _tail(log_path)
    assert statuses["upload:201"] == CYCLES and statuses["delete:200"] == CYCLES, summary
    assert asks >= CYCLES, summary  # the askers really ran during the churn

    store = IndexStore.open(Settings(data_dir=data_dir))
    try:
        registry_ids = store.registry.chunk_ids()
        keyword = KeywordIndex.load(store.keyword_dir)
        assert {d.meta.doc_id for d in store.registry.documents()} == {
            name.removesuffix(".txt") for name in SEED
        }
        assert store.vectors.all_ids() == registry_ids, "Chroma and the registry disagree"
        assert keyword is not None and keyword.generation == store.registry.generation()
        assert sorted(keyword.ids) == sorted(registry_ids), "BM25 and the registry disagree"
        assert health["chunks"] == health["vectors"] == len(registry_ids)
    finally:
        store.close()


def _tail(log_path, chars: int = 4000) -> str:
    return log_path.read_text(errors="replace")[-chars:]
