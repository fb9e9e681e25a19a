"""Load test of ``POST /api/v1/ask``: N concurrent clients for a bounded time, on loopback only.

    .venv/bin/python -m eval.bench.api_load                       # start a server on data/
    .venv/bin/python -m eval.bench.api_load --url http://127.0.0.1:8000 --api-key KEY

Without ``--url`` it starts ``python -m assistant serve`` on a free loopback port over
``--data-dir`` (which must hold an ingested index: ``strategy-assistant ingest``), waits for
``/health``, warms up, then runs ``--clients`` concurrent clients (default 20) for
``--duration`` seconds (default 30), each asking questions from ``eval/questions.yaml`` in a
different order. It prints p50/p95/p99 latency, throughput and errors, plus the medians of the
server's own per-request timings (``Answer.timings``) to show where the time goes, and writes
the "## API load" section of docs/BENCHMARKS.md (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import os
import shlex
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlparse

import aiohttp
import yaml

from eval.bench.api_load_report import Results, render, summarise
from eval.bench.common import free_port, local_server, machine, wait_for_health, write_section

PROJECT_ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = PROJECT_ROOT / "eval" / "questions.yaml"
BENCHMARKS_MD = PROJECT_ROOT / "docs" / "BENCHMARKS.md"
SUBSECTIONS = {
    "on": "Repeated questions (answer cache on)",
    "off": "Every answer computed (caches off)",
}


def load_questions(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = data["questions"] if isinstance(data, dict) else data
    return [row["question"] for row in rows if row.get("question")]


def require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        sys.exit(f"--url {url}: this load test only sends traffic to 127.0.0.1/localhost.")


def server_env(data_dir: Path, cache: str) -> dict[str, str]:
    """The environment of the server this script starts: ``data_dir``'s index, no UI, no API
    key; with ``cache`` "off" no answer or question-vector cache."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_UI_ENABLED": "false"}
    if cache == "off":
        env.update(ASSISTANT_ANSWER_CACHE_SIZE="0", ASSISTANT_QUERY_CACHE_SIZE="0")
    env.pop("ASSISTANT_API_KEY", None)  # our own server: no key needed
    return env


async def client_loop(
    session: aiohttp.ClientSession,
    questions: list[str],
    offset: int,
    deadline: float,
    results: Results | None,
    count: int | None = None,
) -> None:
    """Ask questions in a client-specific order until ``deadline`` (or ``count`` requests)."""
    index = offset
    sent = 0
    while time.perf_counter() < deadline and (count is None or sent < count):
        question = questions[index % len(questions)]
        index += 7  # coprime stride with the list: every client walks every question
        sent += 1
        started = time.perf_counter()
        try:
            async with session.post("/api/v1/ask", json={"question": question}) as response:
                body = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            if results is not None:
                results.error(type(exc).__name__)
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        if results is None:
            continue
        if status != 200:
            results.error(f"HTTP {status}")
            continue
        results.latencies_ms.append(elapsed_ms)
        answer = json.loads(body)
        results.cached += bool(answer.get("cached"))
        for stage, value in answer.get("timings", {}).items():
            results.server_ms.setdefault(stage, []).append(float(value))


async def run_load(
    url: str,
    questions: list[str],
    clients: int,
    duration: float,
    warmup: int,
    baseline: float,
    headers: dict,
) -> tuple[Results, Results]:
    """(single-client baseline, the concurrent run), after a warm-up.

    The client is aiohttp: httpx's async client spent more CPU per request than the server
    needs for a cached answer, so on two shared cores it measured itself (and its tail).
    """
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(
        base_url=url, connector=connector, timeout=timeout, headers=headers
    ) as session:
        # Warm-up: every client sends a few requests (model, caches, connection pool).
        per_client = max(1, math.ceil(warmup / clients))
        far = time.perf_counter() + 3600
        await asyncio.gather(
            *(client_loop(session, questions, i * 5, far, None, per_client) for i in range(clients))
        )
        single = Results()
        started = time.perf_counter()
        await client_loop(session, questions, 1, started + baseline, single)
        single.seconds = time.perf_counter() - started
        results = Results()
        started = time.perf_counter()
        deadline = started + duration
        await asyncio.gather(
            *(client_loop(session, questions, i * 5 + 3, deadline, results) for i in range(clients))
        )
        results.seconds = time.perf_counter() - started
    return single, results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="Target a running server (loopback only).")
    parser.add_argument("--api-key", default=os.environ.get("ASSISTANT_API_KEY"))
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="Seconds of load.")
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="Warm-up requests in total (default: every question once with the cache on, 60 "
        "with it off).",
    )
    parser.add_argument(
        "--cache",
        choices=("on", "off"),
        default="on",
        help="Server caches (answers, question vectors) as configured ('on'), or switched off "
        "so every request runs the whole pipeline ('off'). Only for the server this starts.",
    )
    parser.add_argument(
        "--baseline", type=float, default=10.0, help="Seconds of one client alone, first."
    )
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--no-write", action="store_true", help="Do not update BENCHMARKS.md.")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.duration <= 0:
        parser.error("--clients must be ≥ 1 and --duration > 0")
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m eval.bench.api_load", *(shlex.quote(a) for a in given)])
    questions = load_questions(args.questions)
    args.question_count = len(questions)
    if args.warmup is None:
        args.warmup = len(questions) if args.cache == "on" else 60
    if args.url and args.cache == "off":
        parser.error("--cache off needs the server this script starts (no --url)")
    info = machine()
    with ExitStack() as stack:
        process = None
        if args.url:
            url = args.url.rstrip("/")
            require_loopback(url)
        else:
            if not (args.data_dir / "index").exists():
                sys.exit(f"No index under {args.data_dir}: run `strategy-assistant ingest` first.")
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            log_path = args.data_dir / "api_load_server.log"
            print(f"Starting the server on {url} (log: {log_path})…", file=sys.stderr)
            env = server_env(args.data_dir.resolve(), args.cache)
            process = stack.enter_context(local_server(port, env, log_path))
        health = wait_for_health(url, process, args.startup_timeout)
        if not health.get("documents"):
            sys.exit("The index is empty: run `strategy-assistant ingest` first.")
        headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
        print(
            f"{args.clients} clients for {args.duration:.0f}s against {url}/api/v1/ask…",
            file=sys.stderr,
        )
        single, results = asyncio.run(
            run_load(
                url, questions, args.clients, args.duration, args.warmup, args.baseline, headers
            )
        )
    summary = summarise(results)
    body = render(summary, summarise(single), results.errors, args, info, health, command)
    print(body)
    if not args.no_write:
        write_section("API load", body, BENCHMARKS_MD, sub=SUBSECTIONS[args.cache])
        print(
            f"\nWrote 'API load / {SUBSECTIONS[args.cache]}' in {BENCHMARKS_MD}.", file=sys.stderr
        )


if __name__ == "__main__":
    main()
