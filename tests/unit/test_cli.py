"""The command line's usage errors, in a real process that stops before any model loads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cli_runner import run_cli


@pytest.mark.parametrize("question", ["", "   \t "])
def test_empty_question_is_a_usage_error(question):
    result = run_cli("ask", question)
    assert result.returncode == 2
    assert "question is empty" in result.stderr


def test_ingest_of_a_missing_folder_fails_clearly(tmp_path):
    result = run_cli("ingest", str(tmp_path / "missing"), data_dir=tmp_path / "data")
    assert result.returncode == 1
    assert "is not a folder" in result.stderr


def test_ingest_of_an_empty_folder_fails_clearly(tmp_path):
    (tmp_path / "empty").mkdir()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_EMBEDDING_MODEL": "fake:16",
    }
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(tmp_path / "empty")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert "No documents" in result.stderr
