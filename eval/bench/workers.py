"""``strategy-assistant bench workers``: ``serve --workers N`` against one worker, side by side.

Each run starts the real server twice over the same ingested data folder, once with one
process and once with N (the order alternates between runs, so a drift in the shared machine's
load favours neither), and drives it with the API load test's aiohttp clients, every cache off
so every request embeds, searches and answers. The throughput ratio (N workers / one) per run
is the figure. A last phase repeats the N-worker load while a writer uploads and deletes a
document through the same port, and counts errors and any response that reports an index
generation older than one already committed (a worker that missed a commit).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from eval.bench.api_load import QUESTIONS, load_questions, run_load, server_env
from eval.bench.api_load_report import Results, summarise
from eval.bench.common import free_port, local_server, wait_for_health

WARMUP = 40  # requests before the measured load (the model, the connection pool)
CHURN_TEXT = (
    "Ashcombe Borough Council lido review {n}\n\n"
    "The Ashcombe lido reopened in spring with {n} season tickets sold in the first month. "
    "The council's leisure board recorded that the lido's heated pool will stay open until "
    "October.\n"
)


@dataclass
class Churn:
    uploads: int = 0
    deletes: int = 0
    write_errors: dict[str, int] = field(default_factory=dict)
    stale: int = 0  # responses reporting an older generation than one already committed
    health_checks: int = 0
    processes: set[int] = field(default_factory=set)

    def error(self, kind: str) -> None:
        self.write_errors[kind] = self.write_errors.get(kind, 0) + 1


def ensure_index(data_dir: Path) -> None:
    """Ingest the seed corpus into ``data_dir`` unless it already holds an index."""
    if (data_dir / "index" / "registry.sqlite").exists():
        return
    import subprocess

    print(f"Ingesting the seed corpus into {data_dir}…", file=sys.stderr)
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "assistant", "ingest", "corpus"]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by process ``root`` and its descendants
    (the workers, the Chroma server), from /proc."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += used.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


@contextmanager
def served(data_dir: Path, workers: int, log_dir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = server_env(data_dir, "off")
    env.pop("ASSISTANT_CHROMA_URL", None)
    log_path = log_dir / f"workers-{workers}-{port}.log"
    with local_server(port, env, log_path, ["--workers", str(workers)]) as process:
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, process, 300)
        yield url, process.pid


async def _wait_all_workers(url: str, workers: int, timeout: float = 120.0) -> None:
    """Until ``workers`` distinct processes have answered /health (each loads the model)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(base_url=url, connector=connector) as session:
        while len(seen) < workers and time.monotonic() < deadline:
            async with session.get("/health") as response:
                if response.status == 200:
                    seen.add(int((await response.json()).get("process", 0)))
            await asyncio.sleep(0.05)
    if len(seen) < workers:
        sys.exit(f"Only {len(seen)} of {workers} workers answered within {timeout:.0f} s.")


async def _writer(url: str, deadline: float, churn: Churn) -> None:
    """Upload, then delete, one small document again and again until ``deadline``; after each
    commit, check /health on fresh connections (so any worker may answer) for 1 s."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(base_url=url, connector=connector) as session:
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            form = aiohttp.FormData()
            body = CHURN_TEXT.format(n=n).encode()
            form.add_field("file", body, filename="ashcombe-lido.txt", content_type="text/plain")
            async with session.post(
                "/api/v1/documents?wait=true&replace=true", data=form
            ) as response:
                if response.status not in (200, 201):
                    churn.error(f"upload HTTP {response.status}")
                    continue
                doc_id = (await response.json())["doc_id"]
            churn.uploads += 1
            await _check_generation(session, churn)
            async with session.delete(f"/api/v1/documents/{doc_id}") as response:
                if response.status != 200:
                    churn.error(f"delete HTTP {response.status}")
                    continue
            churn.deletes += 1
            await _check_generation(session, churn)


async def _check_generation(session: aiohttp.ClientSession, churn: Churn) -> None:
    async with session.get("/health") as response:
        committed = int((await response.json())["generation"])
    until = time.perf_counter() + 1.0
    while time.perf_counter() < until:
        async with session.get("/health") as response:
            health = await response.json()
        churn.health_checks += 1
        churn.processes.add(int(health["process"]))
        churn.stale += int(health["generation"]) < committed


async def _load(
    url: str, workers: int, clients: int, duration: float, churn: Churn | None
) -> tuple[Results, Results]:
    await _wait_all_workers(url, workers)
    questions = load_questions(QUESTIONS)
    load = run_load(url, questions, clients, duration, WARMUP, 0.5, {})
    if churn is None:
        return await load
    # the writer starts with the measured load (after run_load's warm-up of ~40 requests)
    writer = _writer(url, time.perf_counter() + duration + 5, churn)
    loaded, _ = await asyncio.gather(load, writer)
    return loaded


def measure(
    data_dir: Path, workers: int, clients: int, duration: float, churn: Churn | None = None
) -> dict:
    with served(data_dir, workers, data_dir.parent) as (url, pid):
        server_before, client_before = tree_cpu_seconds(pid), time.process_time()
        single, results = asyncio.run(_load(url, workers, clients, duration, churn))
        server_cpu = tree_cpu_seconds(pid) - server_before
        client_cpu = time.process_time() - client_before
    summary = summarise(results)
    summary["error_kinds"] = dict(results.errors)
    # every request of the window: warm-up, the lone client and the concurrent load
    requests = WARMUP + len(single.latencies_ms) + len(results.latencies_ms)
    summary["server_cpu_ms"] = 1000 * server_cpu / max(requests, 1)
    summary["client_cpu_ms"] = 1000 * client_cpu / max(requests, 1)
    return summary


def run(data_dir: Path, workers: int, runs: int, clients: int, duration: float) -> dict:
    """Throughput with one worker and with ``workers``, ``runs`` times (alternating order),
    then once with writes; returns every figure for the report."""
    data_dir = data_dir.resolve()
    ensure_index(data_dir)
    rows = []
    for number in range(runs):
        order = (1, workers) if number % 2 == 0 else (workers, 1)
        row = {}
        for count in order:
            print(f"run {number + 1}/{runs}: {count} worker(s), {duration:.0f} s…", file=sys.stderr)
            row[count] = measure(data_dir, count, clients, duration)
        row["ratio"] = row[workers]["throughput_rps"] / max(row[1]["throughput_rps"], 1e-9)
        rows.append(row)
        print(f"  ratio {row['ratio']:.2f}×", file=sys.stderr)
    print(f"{workers} workers while a document is uploaded and deleted…", file=sys.stderr)
    churn = Churn()
    churned = measure(data_dir, workers, clients, duration, churn)
    ratios = [row["ratio"] for row in rows]
    return {
        "load_after": os.getloadavg()[0],
        "rows": rows,
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "churn": churn,
        "churned": churned,
    }
