"""The command line, invoked as a user would (a real process, the real model and index).

Usage errors that never reach the model: tests/unit/test_cli.py.
"""

from __future__ import annotations

import json

import pytest

from tests.cli_runner import run_cli
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
