"""Unit tests of the metrics that read the answer itself (eval/answer_metrics.py): answer
states the finding, citation precision per answer sentence, wrong-place answers. Hand-made
answers and passages, no model."""

from __future__ import annotations

import pytest

from assistant.core.models import Answer, AnswerSentence, Chunk, Citation, DocumentMeta, Passage
from eval.answer_metrics import (
    answer_fold,
    cited_numbers,
    document_names,
    place_words,
    places_match,
    question_places,
    sentence_forms,
    sentence_precision,
    sentence_supported,
    states_finding,
    strip_markers,
    wrong_place_docs,
)
from eval.known_findings import QuestionResult, failures, per_kind, score_question, summarise
from eval.questions import Question
from eval.report import build_report, markdown


# -- rendering differences ---------------------------------------------------------------------
def test_strip_markers_removes_citation_markers_and_the_space_before():
    assert strip_markers("It grew. [1] Then fell [2][3].") == "It grew. Then fell."
    assert strip_markers("Both [1, 2] and [3; 4] agree") == "Both and agree"
    assert strip_markers("Phase [a] stays") == "Phase [a] stays"


def test_answer_fold_drops_bullets_quotes_and_recommendation_labels():
    text = "The plan lists:\n- **Open** a hub [1]\n• “Train staff” [2]\nRecommendation 3: Fund it"
    assert answer_fold(text) == "the plan lists: open a hub train staff fund it"


# -- answer states the finding -----------------------------------------------------------------
def test_states_finding_needs_the_phrase_in_the_answer_text_not_only_a_citation():
    phrases = ["apprenticeships offer had improved"]
    assert states_finding(
        False, "Partners said the apprenticeships offer had improved. [1]", phrases
    )
    assert not states_finding(False, "The review found: Partners were consulted. [1]", phrases)
    assert not states_finding(True, "the apprenticeships offer had improved", phrases)
    assert not states_finding(False, "anything", [""])


def test_states_finding_matches_a_phrase_split_by_a_citation_marker():
    answer = "The minutes record: Attendance rose. [1] Exclusions fell by a third. [2]"
    assert states_finding(False, answer, ["Attendance rose. Exclusions fell"])
    assert states_finding(False, answer, ["rose.  Exclusions"])


def test_states_finding_forgives_bullets_added_quotes_and_labels():
    answer = (
        "The strategy lists its priorities:\n- Double T Level placements [1]\n"
        "A youth panel member said: “We want to be in the room” [2]\n"
        "Recommendation 4: The Council should publish the Local Offer. [3]"
    )
    assert states_finding(False, answer, ["We want to be in the room"])
    assert states_finding(False, answer, ['"We want to be in the room'])  # phrase keeps a quote
    assert states_finding(False, answer, ["Recommendation 4: The Council should publish"])
    assert states_finding(False, answer, ["placements A youth panel member"])
    assert states_finding(False, "Costs – £1.2m in year one", ["costs - £1.2m in year"])
    assert states_finding(False, "Location: England; Title: Creative Trust", ["England Title"])


# -- citation precision per answer sentence ----------------------------------------------------
def test_sentence_forms_unwrap_speakers_labels_and_quote_marks():
    forms = sentence_forms("A school partner said: “Attendance on Fridays has gone up.” [2]")
    assert "Attendance on Fridays has gone up." in forms
    assert "Attendance on Fridays has gone up" in forms
    assert "Fund the hub for three years" in sentence_forms(
        "Recommendation 3: Fund the hub for three years"
    )
    assert sentence_forms("Yes.") == ["Yes.", "Yes"]  # a short sentence keeps its short forms


def test_sentence_supported_by_its_cited_passage():
    passage = (
        'Head teacher: "Since the artist in residence started, attendance on Fridays has gone '
        'up." The scheme will run to 2027.\n- Fund the hub for three years'
    )
    assert sentence_supported(
        "A head teacher said: “Since the artist in residence started, attendance on Fridays "
        "has gone up”",
        [passage],
    )
    assert sentence_supported("Recommendation 3: Fund the hub for three years", [passage])
    assert sentence_supported("The scheme will run to 2027.", ["other", passage])
    assert not sentence_supported("The scheme will run to 2030.", [passage])
    # the label's remainder must be a real quotation, not one stray word
    assert not sentence_supported("Leeds figure: 2027", [passage])
    assert not sentence_supported("The scheme will run to 2027.", [])


def test_sentence_precision_scores_cited_sentences_only():
    passages = {1: "Attendance rose by 4 per cent. Exclusions fell.", 2: "Costs were £2m."}
    sentences = [
        ("Attendance rose by 4 per cent.", [1]),
        ("Costs were £2m.", [1]),  # cites the wrong passage
        ("Exclusions fell. [1]", []),  # citation only as a marker in its text
        ("The minutes record:", []),  # a lead-in cites nothing: not scored, counted
    ]
    assert sentence_precision(sentences, passages) == (pytest.approx(2 / 3), 1)
    assert sentence_precision([("Lead-in:", [])], passages) == (None, 1)
    assert cited_numbers("Both [1, 3] agree [2]", []) == [1, 3, 2]


# -- places ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("County Durham", "Durham County Council", True),
        ("City of London", "London Borough of Camden", False),
        ("City of London", "City of London Corporation", True),
        ("Camden", "London Borough of Camden", True),
        ("West Midlands", "West Midlands Combined Authority", True),
        ("West Yorkshire", "North Yorkshire", False),
        ("Brighton & Hove", "Brighton and Hove City Council", True),
        ("Leeds", "Durham County Council", False),
        ("Council", "Durham County Council", False),  # nothing distinctive: no match
        (None, "Leeds", False),
    ],
)
def test_places_match(a, b, same):
    assert places_match(a, b) is same


def test_place_words_drop_generic_authority_words():
    assert place_words("London Borough of Camden") == {"camden"}
    assert place_words("City of London") == {"london"}
    assert place_words("Durham County Council's") == {"durham"}


def test_question_places_from_the_field_or_the_expected_documents():
    metas = {
        "durham-minutes": DocumentMeta(
            doc_id="durham-minutes",
            title="Minutes",
            organisation="Durham County Council",
            place="County Durham",
        )
    }
    assert question_places("Leeds", (), metas) == (["Leeds"], "question")
    assert question_places(["Durham", "Leeds"], (), metas) == (["Durham", "Leeds"], "question")
    assert question_places(None, ("durham-minutes",), metas) == (
        ["County Durham", "Durham County Council"],
        "expected_docs",
    )
    assert question_places(None, ("unknown",), metas) == ([], None)


def test_wrong_place_docs_and_document_names():
    metas = {
        "durham": DocumentMeta(
            doc_id="durham", title="Minutes", organisation="Durham County Council"
        ),
        "leeds": DocumentMeta(doc_id="leeds", title="Strategy", place="Leeds"),
        "review": DocumentMeta(doc_id="nottingham-city-council-review", title="Annual Review"),
    }
    assert wrong_place_docs(["durham", "leeds", "durham"], ["County Durham"], metas) == ["leeds"]
    assert wrong_place_docs(["durham", "leeds"], ["Durham", "Leeds"], metas) == []
    # no place or organisation indexed: the title and file name stand in
    assert document_names(metas["review"], "nottingham-city-council-review") == [
        "Annual Review",
        "nottingham city council review",
    ]
    assert wrong_place_docs(["nottingham-city-council-review"], ["Nottingham"], metas) == []
    assert wrong_place_docs(["camden-review"], ["City of London"], {}) == ["camden-review"]


# -- through score_question, the summary and the report ---------------------------------------
def _passage(doc_id: str, text: str, **meta) -> Passage:
    chunk = Chunk(chunk_id=f"{doc_id}:h:0000", doc_id=doc_id, ordinal=0, text=text, start=0, end=9)
    return Passage(chunk=chunk, document=DocumentMeta(doc_id=doc_id, title=doc_id, **meta))


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
        end=9,
        text=chunk.text,
        score=1,
    )


def test_score_question_reads_the_answer_text_sentences_and_places():
    durham = _passage("durham", "The Council employs 312 apprentices.", place="County Durham")
    leeds = _passage("leeds", "The Council employs 268 apprentices.", place="Leeds")
    q = Question(
        "h9",
        "How many apprentices does Durham employ?",
        "numeric",
        ("durham",),
        ("312",),
        extra={"place": "Durham"},
    )
    answer = Answer(
        question=q.question,
        answer="Durham's minutes record: The Council employs 268 apprentices. [2]",
        abstained=False,
        citations=[_citation(1, durham), _citation(2, leeds)],
        sentences=[AnswerSentence(text="The Council employs 268 apprentices.", citations=[2])],
    )
    result = score_question(q, answer, [durham, leeds], 5.0)
    assert result.supported is True  # the key phrase is in a cited passage …
    assert result.states_finding is False  # … but not in the answer
    assert result.sentence_precision == 1.0
    assert (result.places, result.place_source) == (["Durham"], "question")
    assert result.wrong_place is True and result.wrong_place_docs == ["leeds"]

    abstained = answer.model_copy(update={"abstained": True})
    result = score_question(q, abstained, [durham, leeds], 5.0)
    assert result.wrong_place is None and result.sentence_precision is None


def _row(qid, kind="fact", answerable=True, abstained=False, states=True, sp=1.0, wrong=False):
    return QuestionResult(
        id=qid,
        kind=kind,
        question=qid,
        answerable=answerable,
        follows=None,
        abstained=abstained,
        latency_ms=1.0,
        rank=1,
        doc_hit5=1.0,
        supported=answerable and not abstained,
        states_finding=(states and not abstained) if answerable else None,
        sentence_precision=None if abstained else sp,
        places=["Leeds"],
        place_source="question",
        wrong_place=None if abstained else wrong,
        wrong_place_docs=["durham"] if wrong else [],
    )


def test_summary_per_kind_failures_and_report_carry_the_new_metrics():
    results = [
        _row("a", states=True, sp=1.0),
        _row("b", states=False, sp=0.5, wrong=True),
        _row("c", abstained=True),
        _row("u", kind="unanswerable", answerable=False, sp=0.0),
    ]
    summary = summarise(results)
    assert summary["answer_states_finding"] == pytest.approx(1 / 3)
    assert summary["sentence_citation_precision"] == pytest.approx(0.5)  # (1 + .5 + 0) / 3
    assert (summary["wrong_place_answers"], summary["wrong_place_rate"]) == (
        1,
        pytest.approx(1 / 3),
    )
    kinds = per_kind(results)
    assert kinds["fact"]["answer_states_finding"] == pytest.approx(1 / 3)
    assert kinds["fact"]["wrong_place_rate"] == pytest.approx(0.5)
    problems = {row["id"]: row["problems"] for row in failures(results)}
    assert "answer text does not state the finding" in problems["b"]
    assert "cites another place: durham" in problems["b"]
    report = build_report(summary, kinds, results, failures(results), [], {"subset": "full"})
    assert [row["id"] for row in report["wrong_place"]] == ["b"]
    text = markdown(report)
    assert "| answer states the finding | 0.333 |" in text
    assert "| wrong-place answers | 1 |" in text
    assert "## Wrong-place answers" in text and "asked about Leeds" in text


# -- the held-out set --------------------------------------------------------------------------
def test_question_sets_resolve_sections_and_private_index_folders(tmp_path):
    from eval.question_sets import DEFAULT_CORPUS, get_set, index_folder_name, stale_pattern
    from eval.questions import load_questions, quick_subset

    seed, heldout = get_set("seed"), get_set("heldout")
    assert (seed.section_for("quick"), heldout.section_for("full")) == ("quick", "heldout")
    assert heldout.section_for("quick") is None and not heldout.gate
    with pytest.raises(ValueError):
        get_set("tuning")
    assert index_folder_name(DEFAULT_CORPUS, "abc") == "index-abc"
    other = index_folder_name(heldout.corpus, "abc", "heldout")
    assert other.startswith("heldout-") and other.endswith("-index-abc")
    assert stale_pattern(other) == other[: -len("abc")] + "*"
    assert stale_pattern("index-abc") == "index-*"  # the seed's glob never matches "heldout-…"
    questions = load_questions(heldout.questions)
    assert {q.kind for q in questions} >= {"list", "unanswerable"}
    assert sum(q.kind == "list" for q in quick_subset(questions)) == 2
    assert all(q.place for q in questions)


def test_eval_set_heldout_is_report_only_and_never_calibrated(tmp_path, monkeypatch):
    """The real command on the fake-embedding profile: its own report files, thresholds
    breaches that never fail the run, and no calibration on the held-out set."""
    import json

    from typer.testing import CliRunner

    from assistant.cli import app

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "fake:64")
    runner = CliRunner()
    run = runner.invoke(app, ["eval", "--set", "heldout", "--json"])
    assert run.exit_code == 0, run.output  # fake embeddings break the targets: no gate
    (report,) = (tmp_path / "data" / "reports").glob("eval-heldout-full-*.json")
    data = json.loads(report.read_text())
    assert data["question_set"] == "heldout" and "answer_states_finding" in data["summary"]
    assert data["thresholds_section"] == "heldout" and data["thresholds_report_only"]
    assert not data["thresholds"]["passed"]
    assert not list((tmp_path / "data" / "reports").glob("eval-full-*"))
    assert runner.invoke(app, ["eval", "--set", "heldout", "--calibrate"]).exit_code == 2
