"""One `chroma run` process for a data folder, so several server processes can share it.

The embedded Chroma store keeps its HNSW index in each process's memory: a second process on
the same folder neither sees the first one's writes nor may write itself. ``serve --workers N``
therefore starts one Chroma server over the folder's own Chroma files (the same on-disk format)
and points every worker at it. While it runs, a marker file beside those files names its URL,
so any other process opening the folder (``strategy-assistant ingest`` in another terminal)
goes through the server too instead of opening the files underneath it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

logger = logging.getLogger("assistant.index")

MARKER = "server.json"


def chroma_cli() -> str:
    """The ``chroma`` command installed with chromadb (beside this Python first)."""
    beside_python = Path(sys.executable).with_name("chroma")
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not found:
        raise RuntimeError("The `chroma` command (installed with chromadb) was not found.")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM when the server that started it dies (even by SIGKILL)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_server_url(path: Path) -> str | None:
    """The URL of the Chroma server serving the files under ``path``, if one is running."""
    try:
        marker = json.loads((path / MARKER).read_text(encoding="utf-8"))
        url, pid = str(marker["url"]), int(marker["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if _alive(pid) else None


class ChromaServer:
    """A ``chroma run`` child on a free loopback port over ``path``; ``stop()`` ends it."""

    def __init__(self, path: Path, log_path: Path, startup_timeout: float = 60.0) -> None:
        if startup_timeout <= 0:
            raise ValueError("startup_timeout must be positive")
        self.path = path
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.url: str | None = None
        self._process: subprocess.Popen | None = None

    def start(self) -> str:
        """Start the server, wait for its heartbeat, write the marker; returns its URL."""
        if running_server_url(self.path):
            raise RuntimeError(
                f"A Chroma server already serves {self.path} (see {self.path / MARKER}); "
                "stop the other `serve --workers` first."
            )
        self.path.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        command = [chroma_cli(), "run", "--path", str(self.path)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        url = f"http://127.0.0.1:{port}"
        self._wait_until_ready(url)
        marker = {"url": url, "pid": self._process.pid}
        (self.path / MARKER).write_text(json.dumps(marker), encoding="utf-8")
        self.url = url
        logger.info("Chroma server for %s at %s (pid %d)", self.path, url, self._process.pid)
        return url

    def _wait_until_ready(self, url: str) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"`chroma run` exited with code {self._process.returncode}; "
                    f"see {self.log_path}."
                )
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"`chroma run` did not answer within {self.startup_timeout:.0f} s; see {self.log_path}."
        )

    def stop(self) -> None:
        """Remove the marker, then end the server (SIGTERM, SIGKILL after 10 s)."""
        marker = self.path / MARKER
        try:
            if self._process is not None and running_server_url(self.path) == self.url:
                marker.unlink()
        except OSError:
            pass
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
