"""The command line, invoked as a user would (a real process, the real model and index)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CORPUS

CITATION_KEYS = {
    "n",
    "chunk_id",
    "doc_id",
    "title",
    "section",
    "page",
    "start",
    "end",
    "text",
    "score",
}


def run_cli(*args: str, data_dir=None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir or "/nonexistent")}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


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


@pytest.mark.integration
def test_ask_json_contract_and_apprenticeships_answer(corpus_service, real_data_dir):
    result = run_cli(
        "ask", "--json", "What did partners say about apprenticeships?", data_dir=real_data_dir
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {"question", "answer", "abstained", "citations"} <= set(answer)
    assert answer["abstained"] is False
    for citation in answer["citations"]:
        assert set(citation) >= CITATION_KEYS
        assert f"[{citation['n']}]" in answer["answer"]
    review = [c for c in answer["citations"] if c["doc_id"] == "city-of-london-mid-term-review"]
    assert any("apprenticeships offer had improved significantly" in c["text"] for c in review)
    source = (CORPUS / "city-of-london-mid-term-review.txt").read_text(encoding="utf-8")
    cited = next(c for c in review if "apprenticeships offer" in c["text"])
    assert "apprenticeships offer" in source[cited["start"] : cited["end"]]


@pytest.mark.integration
def test_ask_with_doc_filter_and_k(corpus_service, real_data_dir):
    result = run_cli(
        "ask",
        "--json",
        "--doc",
        "kirklees-learning-strategy-scrutiny",
        "-k",
        "3",
        "What are the phases of the approach?",
        data_dir=real_data_dir,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["citations"]
    assert {c["doc_id"] for c in answer["citations"]} == {"kirklees-learning-strategy-scrutiny"}
    assert len(answer["citations"]) <= 3


@pytest.mark.integration
def test_unanswerable_question_abstains_with_closest_passages(corpus_service, real_data_dir):
    result = run_cli(
        "ask", "--json", "What is the capital city of Australia?", data_dir=real_data_dir
    )
    answer = json.loads(result.stdout)
    assert answer["abstained"] is True
    assert "don't say" in answer["answer"]
    assert answer["citations"], "the closest passages are still listed"


@pytest.mark.integration
def test_plain_output_lists_numbered_sources(corpus_service, real_data_dir):
    result = run_cli(
        "ask", "How many partners did the mid-term review engage?", data_dir=real_data_dir
    )
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout and "70 to 80 partners" in result.stdout
