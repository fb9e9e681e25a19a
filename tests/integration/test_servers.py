"""The test helper that runs server processes: ready when its URL answers, always stopped."""

from __future__ import annotations

import sys

import httpx
import pytest

from tests.servers import free_port, running_process


def test_a_process_is_ready_when_its_url_answers_and_is_stopped_after(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}/"
    with running_process(command, url, tmp_path / "log", cwd=tmp_path, timeout=30) as process:
        assert httpx.get(url, timeout=5).status_code == 200
    assert process.poll() is not None


def test_a_process_that_dies_fails_the_test_with_its_log(tmp_path):
    command = [sys.executable, "-c", "import sys; print('port in use'); sys.exit(3)"]
    with (
        pytest.raises(pytest.fail.Exception, match=r"exited with 3:\s+port in use"),
        running_process(command, f"http://127.0.0.1:{free_port()}/", tmp_path / "log"),
    ):
        pass
