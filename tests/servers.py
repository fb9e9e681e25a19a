"""Start a real server process on a free loopback port, wait until it answers, always stop it.

Shared by the uvicorn, Chroma-server and browser tests, which each need "a process, a port and
a readiness URL", and a log to show when the process dies or never becomes ready.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command(port: int) -> list[str]:
    """``python -m assistant serve`` on loopback ``port``."""
    return [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)]


@contextmanager
def running_process(
    command: list[str],
    ready_url: str,
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 240.0,
) -> Iterator[subprocess.Popen]:
    """Run ``command`` until the block ends; ready when ``ready_url`` answers 200."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    name = Path(command[0]).name if command[0] != sys.executable else " ".join(command[1:4])
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode}:\n{_tail(log_path)}")
            try:
                if httpx.get(ready_url, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} not ready in {timeout:.0f}s:\n{_tail(log_path)}")
            time.sleep(0.3)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _tail(log_path: Path, chars: int = 3000) -> str:
    return log_path.read_text(errors="replace")[-chars:]
