"""Helpers shared by the evaluation and the benchmark scripts: machine facts, the commit,
progress bars, peak memory and writing one section of ``docs/BENCHMARKS.md`` without touching
the others."""

from __future__ import annotations

import json
import os
import platform
import resource
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from assistant.core.settings import PROJECT_ROOT

BENCHMARKS_MD = PROJECT_ROOT / "docs" / "BENCHMARKS.md"
err = Console(stderr=True, soft_wrap=True)

INTRO = """# Benchmarks

Measured figures for Strategy Assistant, each section with the date, the machine and the exact
command that reproduces it. Benchmark data is read from the path given on the command line
(`/work/shared/bench` here, see its README) and is never copied into this repository; built
indexes are cached under `data/bench/`.
"""


def out_console() -> Console:
    """stdout; tables keep their columns when piped to a file (rich assumes 80 there)."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def machine() -> dict:
    """CPU count and model, RAM, Python and load average: enough to judge whether figures
    compare. Every benchmark report records this one dict."""
    mem_kb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1) if mem_kb else None,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "loadavg_1m": round(load[0], 2),
    }


def machine_line(info: dict | None = None) -> str:
    info = info or machine()
    return (
        f"{info['cpus']} CPUs, {info['ram_gb']} GB RAM, Python {info['python']}, "
        f"{info['platform']}; 1-minute load average at start {info['loadavg_1m']}"
    )


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (``ru_maxrss`` is KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measured_header(report: dict, note: str = "", commit: str | None = None) -> list[str]:
    """The opening lines of a benchmark's BENCHMARKS.md section: when, at which commit
    (``commit``, else the report's), on which machine (then ``note``), and the command that
    reproduces it."""
    commit = commit if commit is not None else report.get("commit")
    return [
        f"Measured {report['date']} (commit {commit}) on {machine_line(report['machine'])}{note}.",
        "",
        "Reproduce with:",
        "",
        "```bash",
        report["command"],
        "```",
        "",
    ]


def command_line() -> str:
    """The command that was run, as a user would type it (``python -m assistant`` from any
    checkout is the same command as the installed ``strategy-assistant``)."""
    argv = list(sys.argv)
    if argv and (
        argv[0].endswith("strategy-assistant")
        or Path(argv[0]).parts[-2:] == ("assistant", "__main__.py")
    ):
        argv[0] = "strategy-assistant"
    return " ".join(shlex.quote(a) for a in argv)


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def now_stamp() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


class _LineProgress:
    """Progress for a log file (no terminal): a plain line at most every 30 s."""

    def __init__(self, description: str, total: int | None) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self.started = self.last = time.perf_counter()

    def update(self, done: int, total: int | None = None, force: bool = False) -> None:
        self.done = done
        self.total = total if total is not None else self.total
        now = time.perf_counter()
        if force or now - self.last >= 30:
            self.last = now
            of = f"/{self.total}" if self.total else ""
            err.print(f"{self.description}: {self.done}{of} ({now - self.started:.0f} s)")


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (plain periodic lines when stderr is not a terminal);
    yields ``advance(n)``."""
    if not err.is_terminal:
        line = _LineProgress(description, total)

        def advance(n: int = 1) -> None:
            line.update(line.done + n)

        yield advance
        line.update(line.done, force=True)
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)


class StageProgress:
    """Adapter from the ingest pipeline's ``progress(stage, done, total)`` to a rich bar."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.progress: Progress | _LineProgress | None = None
        self.task = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not err.is_terminal:
            if self.progress is None:
                self.progress = _LineProgress(f"{self.label}: {stage}", total)
            self.progress.update(done, total, force=done >= total)
            return
        if self.progress is None:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} texts"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=err,
            )
            self.progress.start()
            self.task = self.progress.add_task(f"{self.label}: {stage}", total=total)
        self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if isinstance(self.progress, Progress):
            self.progress.stop()


class Timer:
    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started


def write_section(
    heading: str, body: str, path: Path = BENCHMARKS_MD, sub: str | None = None
) -> None:
    """Replace (or append) the ``## heading`` section of BENCHMARKS.md with ``body``; with
    ``sub``, only the ``### sub`` part of that section.

    The file is re-read just before writing and every other section is kept byte for byte,
    because other people own other sections.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else INTRO
    lines = text.splitlines(keepends=True)
    title = f"## {heading}"
    start = next((i for i, line in enumerate(lines) if line.rstrip() == title), None)
    if start is None:
        content = f"### {sub}\n\n{body.strip()}\n" if sub else f"{body.strip()}\n"
        text = text.rstrip("\n") + f"\n\n{title}\n\n{content}"
        path.write_text(text, encoding="utf-8")
        return
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
        len(lines),
    )
    if sub is None:
        section = [f"{title}\n\n{body.strip()}\n\n"]
    else:
        part = lines[start + 1 : end]
        sub_title = f"### {sub}"
        s_start = next((i for i, line in enumerate(part) if line.rstrip() == sub_title), None)
        block = f"{sub_title}\n\n{body.strip()}\n\n"
        if s_start is None:
            kept = "".join(part).rstrip("\n")
            section = [title, "\n", kept + "\n\n" if kept.strip() else "\n", block]
        else:
            s_end = next(
                (i for i in range(s_start + 1, len(part)) if part[i].startswith("### ")),
                len(part),
            )
            section = [title, "\n", *part[:s_start], block, *part[s_end:]]
    new = "".join(lines[:start]) + "".join(section) + "".join(lines[end:])
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def save_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")


# -- a server process of our own ----------------------------------------------------------------
def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def local_server(
    port: int, env: dict[str, str], log_path: Path, args: Sequence[str] = ()
) -> Iterator[subprocess.Popen]:
    """``python -m assistant serve`` (plus ``args``) on 127.0.0.1:``port`` with ``env``, its
    output in ``log_path``; stopped when the block ends (terminate, kill after 30 s)."""
    command = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port), *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_health(url: str, process: subprocess.Popen | None, timeout: float) -> dict:
    """``GET {url}/health`` until it answers 200, and its JSON; the program exits when
    ``process`` (if given) ends first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"The server exited with code {process.returncode}; see its log.")
        try:
            response = httpx.get(f"{url}/health", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    sys.exit(f"{url}/health did not answer 200 within {timeout:.0f}s.")
