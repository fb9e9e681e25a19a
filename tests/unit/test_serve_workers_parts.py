"""The parts of ``serve --workers N`` that need no real processes: the shared Chroma server's
marker (who else must go through it), and the workers' /ui redirect to the one UI process.
The whole command runs for real in tests/integration/test_serve_workers.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from assistant.index import chroma_server
from assistant.index.chroma_server import MARKER, ChromaServer, running_server_url


def write_marker(folder, url: str, pid: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(json.dumps({"url": url, "pid": pid}), encoding="utf-8")


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_marker_counts_only_while_its_server_process_lives(tmp_path):
    folder = tmp_path / "chroma"
    assert running_server_url(folder) is None  # no marker
    write_marker(folder, "http://127.0.0.1:9", os.getpid())
    assert running_server_url(folder) == "http://127.0.0.1:9"
    write_marker(folder, "http://127.0.0.1:9", dead_pid())  # a server killed with its marker
    assert running_server_url(folder) is None
    (folder / MARKER).write_text("{not json", encoding="utf-8")
    assert running_server_url(folder) is None


def test_a_second_server_over_the_same_files_is_refused(tmp_path):
    folder = tmp_path / "chroma"
    write_marker(folder, "http://127.0.0.1:9", os.getpid())
    with pytest.raises(RuntimeError, match="already serves"):
        ChromaServer(folder, tmp_path / "log").start()
    assert running_server_url(folder) == "http://127.0.0.1:9"  # the live marker is kept


def test_a_server_that_exits_at_start_says_where_its_log_is(tmp_path, monkeypatch):
    monkeypatch.setattr(chroma_server, "chroma_cli", lambda: "false")  # exits 1 at once
    server = ChromaServer(tmp_path / "chroma", tmp_path / "logs" / "chroma.log", 5)
    with pytest.raises(RuntimeError, match=r"exited with code 1; see .*chroma\.log"):
        server.start()
    assert not (tmp_path / "chroma" / MARKER).exists()


def test_the_embedded_client_goes_through_a_running_server(tmp_path, monkeypatch):
    from assistant.index import vector_store

    folder = tmp_path / "chroma"
    write_marker(folder, "http://127.0.0.1:9", os.getpid())
    seen: list[str] = []

    class Probe:
        def __init__(self, host, port, ssl) -> None:
            self.base = f"http://{host}:{port}"
            seen.append(f"{host}:{port}")

        def failure(self, timeout):
            return "refused"

    monkeypatch.setattr(vector_store, "RemoteProbe", Probe)
    with pytest.raises(vector_store.IndexUnavailable, match="127.0.0.1:9"):
        vector_store.make_chroma_client(None, folder, timeout=1)
    assert seen == ["127.0.0.1:9"]


def test_workers_redirect_the_ui_to_its_process_on_the_same_host(fake_settings):
    from assistant.server import create_server

    settings = fake_settings.model_copy(update={"ui_port": 8123})
    with TestClient(create_server(settings), base_url="http://assistant.local:8000") as client:
        reply = client.get("/ui/gradio_api/info?x=1", follow_redirects=False)
        assert reply.status_code == 307
        assert reply.headers["location"] == "http://assistant.local:8123/ui/gradio_api/info?x=1"
        assert client.get("/ui", follow_redirects=False).headers["location"] == (
            "http://assistant.local:8123/ui"
        )
        assert client.get("/health").json()["process"] == os.getpid()


def test_workers_refuse_a_busy_ui_port_before_starting_anything(fake_settings):
    import socket

    from assistant.server import serve

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ui_port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=rf"Port {ui_port} .* in use.*another --port"):
            serve(fake_settings, "127.0.0.1", ui_port - 1, 2)
    with pytest.raises(RuntimeError, match="needs a fixed --port"):
        serve(fake_settings, "127.0.0.1", 0, 2)
    assert not (fake_settings.index_dir / "chroma" / MARKER).exists()  # nothing was started
