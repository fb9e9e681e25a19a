"""Unit tests of the evaluation metrics, phrase matcher, thresholds, calibration choice and
report writing, on hand-made data with exact expected values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from assistant.core.models import Answer, Chunk, Citation, DocumentMeta, Passage
from eval.calibrate import recommend
from eval.known_findings import (
    METRIC_LABELS,
    QuestionResult,
    failures,
    per_kind,
    score_question,
    summarise,
)
from eval.metrics import (
    abstention_scores,
    answer_supported,
    citation_precision,
    contains_phrase,
    doc_hit,
    doc_ranking,
    doc_recall,
    first_hit_rank,
    first_relevant_rank,
    fold_phrase,
    hit_at,
    mean,
    ndcg_at,
    percentile,
    recall_at,
    reciprocal_rank,
)
from eval.questions import Question, load_questions, quick_subset, select, with_parents
from eval.report import build_report, markdown, write_reports
from eval.thresholds import Breach, check, exit_code, load_thresholds


# -- phrase matching ---------------------------------------------------------------------------
def test_fold_phrase_ignores_case_quotes_whitespace_and_bold_markup():
    assert fold_phrase("The **City’s**  offer\n“grew”") == 'the city\'s offer "grew"'


@pytest.mark.parametrize(
    ("passage", "phrase", "expected"),
    [
        ("Partners said the apprenticeships offer had improved", "APPRENTICESHIPS offer", True),
        ("the **apprenticeships offer** had improved", "apprenticeships offer had", True),
        ("Partners’ desire for clarity", "partners' desire", True),
        ("spending or saving £250k or\nmore", "spending or saving £250k or more", True),
        ("2019 – 2023", "2019 - 2023", True),
        ("apprentice offer", "apprenticeships offer", False),
        ("anything", "", False),
    ],
)
def test_contains_phrase(passage, phrase, expected):
    assert contains_phrase(passage, [phrase]) is expected


def test_first_relevant_rank_hits_and_reciprocal_rank():
    passages = ["nothing here", "still nothing", "The Key Phrase is here", "key phrase again"]
    assert first_relevant_rank(passages, ["key phrase"]) == 3
    assert first_relevant_rank(passages, ["absent"]) is None
    assert first_relevant_rank(passages, []) is None
    assert (hit_at(3, 1), hit_at(3, 5), hit_at(None, 5)) == (0.0, 1.0, 0.0)
    assert reciprocal_rank(3) == pytest.approx(1 / 3)
    assert reciprocal_rank(None) == 0.0


# -- answer-level metrics ----------------------------------------------------------------------
def test_document_hit_and_recall():
    retrieved = ["a", "b", "a", "c", "d", "e"]
    assert doc_hit(retrieved, ["e"], 5) == 0.0
    assert doc_hit(retrieved, ["e"], 6) == 1.0
    assert doc_hit(retrieved, ["c", "x"], 5) == 1.0
    assert doc_recall(retrieved, ["c", "x"], 5) == 0.5
    assert doc_recall(retrieved, [], 5) == 0.0


def test_citation_precision_counts_phrase_or_expected_document():
    cited = [
        ("expected-doc", "unrelated text"),  # right document
        ("other-doc", "it says the key phrase here"),  # right phrase
        ("other-doc", "irrelevant"),  # neither
        ("other-doc", "also irrelevant"),
    ]
    assert citation_precision(cited, ["expected-doc"], ["key phrase"]) == 0.5
    assert citation_precision([], ["expected-doc"], ["key phrase"]) is None


def test_answer_support_needs_an_answer_and_a_phrase_in_a_citation():
    assert answer_supported(False, ["x", "has the Phrase"], ["phrase"]) is True
    assert answer_supported(True, ["has the phrase"], ["phrase"]) is False
    assert answer_supported(False, ["nothing"], ["phrase"]) is False


def test_abstention_scores_exact():
    abstained = [True, True, False, False, True]
    unanswerable = [True, False, True, False, True]
    scores = abstention_scores(abstained, unanswerable)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (2, 1, 1)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)
    nothing = abstention_scores([False, False], [True, False])
    assert (nothing["precision"], nothing["recall"], nothing["f1"]) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        abstention_scores([True], [True, False])


def test_mean_and_percentile_match_numpy():
    assert mean([1.0, None, 3.0]) == 2.0
    assert mean([None]) is None
    values = [12.0, 3.0, 7.5, 100.0, 41.0, 8.0]
    for q in (0, 50, 90, 95, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile([], 50) is None


# -- ranked retrieval --------------------------------------------------------------------------
def test_doc_ranking_keeps_each_documents_best_chunk():
    chunks = ["d2:h:0001", "d1:h:0000", "d2:h:0003", "d3:h:0000"]
    assert doc_ranking(chunks) == ["d2", "d1", "d3"]
    assert doc_ranking(["x", "y"], {"x": "A", "y": "A"}) == ["A"]


def test_ndcg_recall_and_first_hit_exact():
    relevant = {"a": 1, "c": 1}
    ranking = ["b", "a", "d", "c"]
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3)
    assert ndcg_at(ranking, relevant, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at(["a", "c"], relevant, 10) == pytest.approx(1.0)
    assert ndcg_at(ranking, relevant, 1) == 0.0
    assert ndcg_at(["a"], {"a": 2, "b": 1}, 10) == pytest.approx(2 / (2 + 1 / math.log2(3)))
    assert recall_at(ranking, relevant, 2) == 0.5
    assert recall_at(ranking, relevant, 100) == 1.0
    assert first_hit_rank(ranking, relevant) == 2
    assert first_hit_rank(["x"], relevant) is None


# -- scoring one question ----------------------------------------------------------------------
def _passage(doc_id: str, ordinal: int, text: str) -> Passage:
    chunk = Chunk(
        chunk_id=f"{doc_id}:h:{ordinal:04d}",
        doc_id=doc_id,
        ordinal=ordinal,
        text=text,
        start=0,
        end=len(text),
    )
    return Passage(chunk=chunk, document=DocumentMeta(doc_id=doc_id, title=doc_id))


def _citation(n: int, passage: Passage) -> Citation:
    chunk = passage.chunk
    return Citation(
        n=n,
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        title=chunk.doc_id,
        section="",
        page=None,
        start=0,
        end=len(chunk.text),
        text=chunk.text,
        score=1,
    )


def test_score_question_exact():
    q = Question("q1", "What?", "fact", ("doc-a",), ("the finding",))
    passages = [
        _passage("doc-b", 0, "noise"),
        _passage("doc-a", 3, "Here is **the finding**."),
        _passage("doc-b", 1, "more noise"),
    ]
    answer = Answer(
        question="What?",
        answer="…",
        abstained=False,
        citations=[_citation(1, passages[1]), _citation(2, passages[0])],
    )
    result = score_question(q, answer, passages, 12.5)
    assert result.rank == 2
    assert (result.passage_hit1, result.passage_hit5, result.rr) == (0.0, 1.0, 0.5)
    assert (result.doc_hit5, result.doc_recall5) == (1.0, 1.0)
    assert result.citation_precision == 0.5
    assert result.supported is True
    assert result.retrieved == ["doc-b#0", "doc-a#3", "doc-b#1"]

    abstained = Answer(
        question="What?", answer="…", abstained=True, citations=[_citation(1, passages[1])]
    )
    result = score_question(q, abstained, passages, 3.0)
    assert result.supported is False
    assert result.citation_precision is None  # abstentions cite closest passages, not claims

    unanswerable = Question("q9", "Unknowable?", "unanswerable")
    result = score_question(unanswerable, abstained, passages, 3.0)
    assert result.rank is None and result.supported is None


def _result(
    qid,
    kind,
    answerable=True,
    abstained=False,
    rank=None,
    supported=None,
    citation_precision=None,
    follows=None,
    latency=10.0,
    doc=1.0,
):
    return QuestionResult(
        id=qid,
        kind=kind,
        question=qid,
        answerable=answerable,
        follows=follows,
        abstained=abstained,
        latency_ms=latency,
        rank=rank,
        passage_hit1=hit_at(rank, 1) if answerable else None,
        passage_hit5=hit_at(rank, 5) if answerable else None,
        rr=reciprocal_rank(rank) if answerable else None,
        doc_hit5=doc if answerable else None,
        doc_recall5=doc if answerable else None,
        citation_precision=citation_precision,
        supported=supported if answerable else None,
    )


def test_summarise_and_per_kind_exact():
    results = [
        _result("q1", "fact", rank=1, supported=True, citation_precision=1.0, latency=10),
        _result("q2", "fact", rank=4, supported=False, citation_precision=0.5, latency=20),
        _result(
            "q3",
            "followup",
            rank=None,
            supported=True,
            citation_precision=0.0,
            follows="q1",
            latency=30,
            doc=0.0,
        ),
        _result("q4", "fact", abstained=True, rank=2, supported=False, latency=40),
        _result("q5", "unanswerable", answerable=False, abstained=True, latency=50),
        _result("q6", "unanswerable", answerable=False, abstained=False, latency=60),
    ]
    s = summarise(results)
    assert (s["questions"], s["answerable"], s["unanswerable"]) == (6, 4, 2)
    assert s["passage_hit@1"] == 0.25
    assert s["passage_hit@5"] == 0.75
    assert s["mrr"] == pytest.approx((1 + 0.25 + 0 + 0.5) / 4)
    assert s["doc_hit@5"] == 0.75
    assert s["citation_precision"] == pytest.approx(0.5)  # mean of 1.0, 0.5, 0.0
    assert s["answer_support"] == 0.5
    assert s["false_abstention_rate"] == 0.25
    assert s["abstention_precision"] == 0.5  # q5 right, q4 wrong
    assert s["abstention_recall"] == 0.5
    assert s["abstention_f1"] == 0.5
    assert s["followup_success"] == 1.0
    assert s["latency_p50_ms"] == 35.0
    assert s["latency_p95_ms"] == pytest.approx(57.5)

    kinds = per_kind(results)
    assert kinds["fact"]["questions"] == 3
    assert kinds["fact"]["answer_support"] == pytest.approx(1 / 3)
    assert kinds["unanswerable"]["abstained"] == 0.5
    assert kinds["unanswerable"]["passage_hit@5"] is None

    problems = {row["id"]: row["problems"] for row in failures(results)}
    assert "q1" not in problems
    assert problems["q6"] == ["answered an unanswerable question"]
    assert problems["q4"][0] == "abstained"
    assert "no key phrase in the retrieved passages" in problems["q3"]


def test_summarise_without_unanswerable_or_followups_reports_none():
    s = summarise([_result("q1", "fact", rank=1, supported=True)])
    assert s["abstention_precision"] is None and s["followup_success"] is None


# -- question set ------------------------------------------------------------------------------
def test_question_file_loads_and_quick_subset_spans_kinds():
    questions = load_questions()
    assert len(questions) == 113
    quick = quick_subset(questions)
    assert 20 <= len(quick) <= 30
    kinds = {q.kind for q in questions}
    assert {q.kind for q in quick} == kinds
    ids = {q.id for q in quick}
    for q in quick:  # every follow-up comes with its first question
        assert q.follows is None or q.follows in ids
    assert [q.id for q in with_parents(questions, {"q003"})] == ["q002", "q003"]
    assert {q.kind for q in select(questions, "table")} >= {"table"}
    with pytest.raises(ValueError):
        select(questions, "no-such-subset")


def test_question_file_errors(tmp_path: Path):
    from eval.questions import QuestionFileError

    path = tmp_path / "q.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "questions": [
                    {"id": "a", "question": "x?", "kind": "fact", "key_phrases": ["y"]},
                    {
                        "id": "b",
                        "question": "and?",
                        "kind": "followup",
                        "follows": "zzz",
                        "key_phrases": ["y"],
                    },
                ]
            }
        )
    )
    with pytest.raises(QuestionFileError, match="follows zzz"):
        load_questions(path)
    path.write_text(yaml.safe_dump({"questions": [{"id": "a", "question": "x?", "kind": "fact"}]}))
    with pytest.raises(QuestionFileError, match="no key_phrases"):
        load_questions(path)


# -- thresholds --------------------------------------------------------------------------------
def test_thresholds_check_and_exit_code():
    section = {
        "min": {"answer_support": 0.7, "mrr": 0.5, "followup_success": 0.5},
        "max": {"latency_p95_ms": 1000},
    }
    summary = {
        "answer_support": 0.69,
        "mrr": 0.5,
        "followup_success": None,
        "latency_p95_ms": 1500.0,
    }
    breaches = check(summary, section)
    assert [(b.metric, b.kind) for b in breaches] == [
        ("answer_support", "min"),
        ("latency_p95_ms", "max"),
    ]
    assert exit_code(breaches) == 1
    assert [b.metric for b in check(summary, section, include_max=False)] == ["answer_support"]
    missing = check(summary, section, include_max=False, required=True)
    assert Breach("followup_success", None, 0.5, "missing") in missing
    assert exit_code(check({"answer_support": 0.9, "mrr": 0.6}, section, False)) == 0
    assert [b.metric for b in check(summary, section, ignore=("latency_p95_ms",))] == [
        "answer_support"
    ]
    assert "below the minimum" in str(breaches[0])


def test_shipped_thresholds_cover_both_subsets():
    table = load_thresholds()
    for subset in ("full", "quick"):
        assert table[subset]["min"], f"no minimums for {subset}"
        for metric, bound in table[subset]["min"].items():
            assert metric in METRIC_LABELS and 0.0 <= bound <= 1.0, metric
        for metric in table[subset].get("max") or {}:
            assert metric in METRIC_LABELS, metric


def test_eval_command_exit_code_follows_thresholds(tmp_path: Path, monkeypatch):
    """The real command on the fake-embedding profile: exit 1 when a minimum is broken."""
    from typer.testing import CliRunner

    from assistant.cli import app

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "fake:64")
    strict = tmp_path / "strict.yaml"
    strict.write_text(yaml.safe_dump({"table": {"min": {"passage_hit@5": 1.01}}}))
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(yaml.safe_dump({"table": {"min": {"passage_hit@5": 0.0}}}))
    runner = CliRunner()
    failed = runner.invoke(app, ["eval", "--subset", "table", "--thresholds", str(strict)])
    assert failed.exit_code == 1, failed.output
    passed = runner.invoke(
        app, ["eval", "--subset", "table", "--thresholds", str(lenient), "--json"]
    )
    assert passed.exit_code == 0, passed.output
    reports = sorted((tmp_path / "data" / "reports").glob("eval-table-*.json"))
    assert reports, "the JSON report is written"
    assert not runner.invoke(
        app, ["eval", "--subset", "table", "--thresholds", str(strict), "--no-check"]
    ).exit_code


# -- calibration choice ------------------------------------------------------------------------
def _point(t, f1, support):
    return {
        "threshold": t,
        "abstention_f1": f1,
        "answer_support": support,
        "abstention_precision": f1,
        "abstention_recall": f1,
        "false_abstention_rate": 0.0,
    }


def test_recommend_picks_middle_of_best_plateau_within_support_budget():
    curve = [
        _point(0.30, 0.2, 0.80),
        _point(0.31, 0.6, 0.80),
        _point(0.32, 0.6, 0.80),
        _point(0.33, 0.6, 0.79),
        _point(0.34, 0.9, 0.70),  # better F1 but gives up too much support
        _point(0.35, 0.6, 0.60),
    ]
    best = recommend(curve, max_support_loss=0.02)
    assert best["threshold"] == 0.32
    assert best["plateau"] == [0.31, 0.33]
    assert recommend(curve, max_support_loss=0.2)["threshold"] == 0.34


# -- reports -----------------------------------------------------------------------------------
def test_write_reports_json_and_markdown(tmp_path: Path):
    results = [
        _result("q1", "fact", rank=1, supported=True, citation_precision=1.0),
        _result("q5", "unanswerable", answerable=False, abstained=False),
    ]
    summary = summarise(results)
    breaches = check(summary, {"min": {"answer_support": 1.1}})
    report = build_report(
        summary,
        per_kind(results),
        results,
        failures(results),
        breaches,
        {"subset": "quick", "questions_file": "eval/questions.yaml"},
    )
    json_path, md_path = write_reports(report, tmp_path / "reports")
    assert json_path.name.startswith("eval-quick-") and json_path.suffix == ".json"
    data = json.loads(json_path.read_text())
    assert data["summary"]["answer_support"] == 1.0
    assert data["thresholds"]["passed"] is False
    assert [q["id"] for q in data["questions"]] == ["q1", "q5"]
    text = md_path.read_text()
    assert "| answer support | 1.000 |" in text
    assert "| fact | 1 |" in text
    assert "answered an unanswerable question" in text
    assert "Threshold breaches" in text
    assert markdown(report) == text


# -- docs/BENCHMARKS.md sections ----------------------------------------------------------------
def test_write_section_replaces_only_its_own_section(tmp_path: Path):
    from eval.bench.common import write_section

    path = tmp_path / "BENCHMARKS.md"
    theirs = "## API load\n\nTheir figures.  \n\n| a | b |\n|---|---|\n"
    path.write_text("# Benchmarks\n\nIntro.\n\n" + theirs)
    write_section("Ingest", "first", path)
    write_section("Retrieval quality", "public", path, sub="Public benchmarks")
    write_section("Retrieval quality", "known", path, sub="Known findings")
    write_section("Ingest", "second", path)
    write_section("Retrieval quality", "public 2", path, sub="Public benchmarks")
    text = path.read_text()
    assert theirs in text
    assert text.count("## Ingest") == 1 and "first" not in text and "second" in text
    assert text.index("### Public benchmarks") < text.index("### Known findings")
    assert "public 2" in text and "\npublic\n" not in text and "known" in text


def test_write_section_creates_the_file_with_an_intro(tmp_path: Path):
    from eval.bench.common import write_section

    path = tmp_path / "docs" / "BENCHMARKS.md"
    write_section("Query latency", "body", path)
    text = path.read_text()
    assert text.startswith("# Benchmarks") and text.endswith("## Query latency\n\nbody\n")


# -- benchmark readers -------------------------------------------------------------------------
def test_beir_and_squad_readers(tmp_path: Path):
    from eval.bench.datasets import load_beir, load_squad, sample_queries

    beir = tmp_path / "beir"
    beir.mkdir()
    (beir / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "T1", "text": "one"}\n{"_id": "d2", "title": "", "text": "two"}\n'
    )
    (beir / "queries.jsonl").write_text(
        '{"_id": "q1", "text": "first?"}\n{"_id": "q2", "text": "unjudged?"}\n'
    )
    (beir / "qrels_test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\n")
    data = load_beir(beir, "test")
    assert [d.doc_id for d in data.docs] == ["d1", "d2"]
    assert data.queries == {"q1": "first?"} and data.qrels == {"q1": {"d2": 1}}

    squad = tmp_path / "dev.json"
    paragraphs = [
        {"context": f"Paragraph {i}.", "qas": [{"id": f"a{i}", "question": f"{i}?"}]}
        for i in range(5)
    ]
    squad.write_text(json.dumps({"data": [{"title": "Some_Title", "paragraphs": paragraphs}]}))
    data = load_squad(squad, name="squad")
    assert len(data.docs) == 5 and data.docs[0].title == "Some Title"
    assert data.qrels["a3"] == {"p000-003": 1} and not data.notes
    paragraphs[4]["qas"].append({"id": "dup", "question": "1?"})  # same text as a1
    squad.write_text(json.dumps({"data": [{"title": "Some_Title", "paragraphs": paragraphs}]}))
    merged = load_squad(squad, name="squad")
    assert merged.qrels["a1"] == {"p000-001": 1, "p000-004": 1} and "dup" not in merged.qrels
    assert "6 questions, 5 distinct" in merged.notes[0]
    data = load_squad(squad, name="squad")
    first = sample_queries(data, 2)
    assert first.queries == sample_queries(data, 2).queries and len(first.queries) == 2
    assert "2 of 5" in first.notes[-1]


def test_a_benchmark_command_is_reported_as_a_user_types_it(monkeypatch):
    from eval.bench.common import command_line

    for argv0 in ("/x/.venv/bin/strategy-assistant", "/tmp/worktree/assistant/__main__.py"):
        monkeypatch.setattr("sys.argv", [argv0, "bench", "workers", "--runs", "3"])
        assert command_line() == "strategy-assistant bench workers --runs 3"
    monkeypatch.setattr("sys.argv", ["eval/bench/api_load.py", "--cache", "off"])
    assert command_line() == "eval/bench/api_load.py --cache off"
