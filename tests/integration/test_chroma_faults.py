"""A Chroma server that freezes or dies: bounded 503s with Retry-After, a truthful /health, and
recovery by itself when the server returns (issue 12, item 5).

A real `chroma run` is SIGSTOPped and SIGCONTed, then killed and restarted on the same port and
data folder, under an assistant configured with ASSISTANT_CHROMA_URL (fake embeddings: this is
about the vector store, not the model). Before the fix a frozen server left /ask and /health
with no reply at all, and a dead one made /ask, /search and uploads a generic 500.

Every request runs in a worker thread with a deadline, so a hang fails the test instead of
hanging it; the figures (response times when stopped and killed, recovery times) are printed.
"""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import ExitStack

import pytest

from assistant.application.service import AssistantService
from assistant.core.settings import Settings
from assistant.index.chroma_server import chroma_cli
from tests.api_support import APPRENTICESHIPS, client_for
from tests.conftest import CORPUS
from tests.servers import free_port, running_process

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
CHROMA_TIMEOUT = 1.5  # ASSISTANT_CHROMA_TIMEOUT for the test: every Chroma call is bounded by it
FAST = CHROMA_TIMEOUT + 3.0  # a 503 must arrive within this long, whatever Chroma is doing
NO_REPLY = 12.0  # the deadline after which a request counts as "no reply"
RECOVERY = 20.0  # Chroma is back: answers must be 200 again within this long


def upload_files(n: int) -> dict:
    text = f"Fault note {n}. Partners asked for more apprenticeships in the borough.\n" * 4
    return {"file": (f"fault-note-{n}.txt", text.encode())}


REQUESTS = {
    "ask": lambda c, n: c.post("/api/v1/ask", json={"question": f"{APPRENTICESHIPS} ({n})"}),
    "ask_stream": lambda c, n: c.post(
        "/api/v1/ask/stream", json={"question": f"What about skills? ({n})"}
    ),
    "search": lambda c, n: c.get("/api/v1/search", params={"q": f"apprenticeships {n}"}),
    "upload": lambda c, n: c.post("/api/v1/documents", files=upload_files(n)),
    "health": lambda c, n: c.get("/health"),
}


class Chroma:
    """One `chroma run` on a fixed port and data folder that can be frozen, killed, restarted."""

    def __init__(self, tmp_path, stack: ExitStack) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.path = tmp_path / "chroma-server"
        self.tmp_path = tmp_path
        self.stack = stack
        self.starts = 0
        self.process = None

    def start(self) -> None:
        self.starts += 1
        command = [chroma_cli(), "run", "--path", str(self.path)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        log = self.tmp_path / f"chroma-{self.starts}.log"
        self.process = self.stack.enter_context(
            running_process(command, f"{self.url}/api/v2/heartbeat", log, timeout=90)
        )

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def faults(tmp_path):
    with ExitStack() as stack:
        chroma = Chroma(tmp_path, stack)
        chroma.start()
        settings = Settings(
            chroma_url=chroma.url,
            chroma_timeout=CHROMA_TIMEOUT,
            # questions go to Chroma's query, as above the scan limit (below it they need no
            # Chroma at all: tests/unit/test_index_unavailable.py)
            passage_scan_limit=0,
            data_dir=tmp_path / "data",
            embedding_model="fake:64",
            corpus_dir=CORPUS,
            ui_enabled=False,
        )
        service = AssistantService(settings)
        stack.callback(service.close)
        service.ingest_folder(CORPUS)
        pool = ThreadPoolExecutor(max_workers=16)
        # Last in, first out: resume a frozen Chroma first, so hung requests can finish.
        stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        stack.callback(lambda: chroma.process.poll() is None and chroma.signal(signal.SIGCONT))
        yield chroma, service, client_for(service), pool


def timed(pool, client, name: str, n: int, deadline: float = NO_REPLY) -> tuple[float, object]:
    """(seconds, response), or (seconds, None) when there was no reply by ``deadline``."""
    started = time.perf_counter()
    future = pool.submit(REQUESTS[name], client, n)
    try:
        response = future.result(timeout=deadline)
    except FutureTimeout:
        return time.perf_counter() - started, None
    return time.perf_counter() - started, response


def each_request(pool, client, n: int) -> dict[str, tuple[float, object]]:
    """Every request in turn, each after the service's cool-down (which would otherwise answer
    at once from the last failure), so each one meets the failing server itself."""
    results = {}
    for name in REQUESTS:
        time.sleep(CHROMA_TIMEOUT + 0.2)
        results[name] = timed(pool, client, name, n)
    return results


def describe(response) -> str:
    if response is None:
        return "no reply"
    return f"{response.status_code} {response.text[:160]!r}"


def check_unavailable(results: dict, problems: list[str], phase: str) -> None:
    for name, (seconds, response) in results.items():
        if response is None or response.status_code != 503 or seconds > FAST:
            problems.append(f"{phase} {name}: {describe(response)} after {seconds:.1f}s")
            continue
        error = response.json()["error"]
        retry_after = response.headers.get("retry-after", "")
        if error["code"] != "index_unavailable" or not retry_after.isdigit():
            problems.append(f"{phase} {name}: {error} Retry-After={retry_after!r}")
    health = results.get("health", (0, None))[1]
    down = health.json().get("down", {}) if health is not None and health.status_code == 503 else {}
    if health is not None and health.status_code == 503 and "vector_index" not in down:
        problems.append(f"{phase} health does not say what is down: {health.text[:200]}")


def wait_until_answering(pool, client, n: int) -> float:
    """Seconds until /ask (and then /health) answer 200 again; ``RECOVERY`` + if never."""
    started = time.perf_counter()
    while time.perf_counter() - started < RECOVERY:
        _, response = timed(pool, client, "ask", n, deadline=RECOVERY)
        if response is not None and response.status_code == 200:
            _, health = timed(pool, client, "health", n)
            if health is not None and health.status_code == 200:
                return time.perf_counter() - started
        time.sleep(0.1)
        n += 1
    return RECOVERY + 1


def test_a_frozen_or_dead_chroma_server_is_a_fast_503_and_recovers(faults):
    chroma, service, client, pool = faults
    figures: dict[str, object] = {}
    problems: list[str] = []
    for name in REQUESTS:  # all well before the faults
        seconds, response = timed(pool, client, name, 0)
        assert response is not None and response.status_code in (200, 201), describe(response)

    # 1. Frozen (SIGSTOP): the server accepts connections but never answers.
    chroma.signal(signal.SIGSTOP)
    figures["stopped_burst_s"] = [  # back to back: the first waits the timeout, then at once
        round(timed(pool, client, "ask", 10 + i)[0], 2) for i in range(3)
    ]
    stopped = each_request(pool, client, 1)
    figures["stopped_s"] = {name: round(s, 2) for name, (s, _) in stopped.items()}
    check_unavailable(stopped, problems, "stopped")
    chroma.signal(signal.SIGCONT)
    figures["recovery_after_sigcont_s"] = round(wait_until_answering(pool, client, 100), 2)

    # 2. Dead (SIGKILL): connections are refused.
    chroma.kill()
    killed = each_request(pool, client, 2)
    figures["killed_s"] = {name: round(s, 2) for name, (s, _) in killed.items()}
    check_unavailable(killed, problems, "killed")

    # 3. Restarted on the same port and data: the service carries on by itself.
    restart_started = time.perf_counter()
    chroma.start()
    figures["chroma_restart_s"] = round(time.perf_counter() - restart_started, 2)
    figures["recovery_after_restart_s"] = round(wait_until_answering(pool, client, 200), 2)
    print("\nCHROMA FAULT FIGURES " + json.dumps(figures))

    for key in ("recovery_after_sigcont_s", "recovery_after_restart_s"):
        if figures[key] > RECOVERY:
            problems.append(f"{key}: no 200 from /ask and /health within {RECOVERY:.0f}s")
    assert not problems, "\n".join(problems) + "\n" + json.dumps(figures)

    # Nothing an upload that failed would have half-written: registry and Chroma agree.
    health = client.get("/health").json()
    assert health["vectors"] == health["chunks"], health
    assert service.store.vectors.all_ids() == service.store.registry.chunk_ids()
