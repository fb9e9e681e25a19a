"""Answer types: what counts as the figure a question asks for, and the rule that evidence
without it does not answer (the answerability model's required types)."""

from __future__ import annotations

import pytest

from assistant.answering.abstention import Verdict, abstain_text
from assistant.answering.answerability import FEATURES, AnswerabilityModel, Features
from assistant.answering.question_type import AnswerType, answer_type, has_type, wants_person

HOW_MANY = "How many adults enrolled on evening courses in Northshire in 2004?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,200 adults enrolled that year.", True),
        ("Three hundred adults took part.", True),
        ("In 2004 a survey of providers was undertaken.", False),  # the question's own year
        ("2. The partnership commits to supporting existing learning.", False),  # a list label
        ("3.2 Evening provision was reviewed.", False),  # a section number
        ("Enrolments grew in 2019-20 and 2020/21.", False),  # year ranges are dates
    ],
)
def test_a_count_is_a_number_that_is_not_a_year_a_label_or_the_questions_own(text, expected):
    assert answer_type(HOW_MANY) is AnswerType.COUNT
    assert has_type(text, AnswerType.COUNT, HOW_MANY) is expected


def test_how_much_money_wants_money_but_how_much_of_something_wants_a_quantity():
    money = "How much did the council pay for the feasibility study?"
    share = "How much of the river's flow does the canal carry?"
    assert answer_type(money) is answer_type(share) is AnswerType.AMOUNT
    assert has_type("The study cost £45,000.", AnswerType.AMOUNT, money)
    assert not has_type(
        "The study was commissioned in 2019 by 3 partners.", AnswerType.AMOUNT, money
    )
    assert has_type("The canal carries one ninth of the flow.", AnswerType.AMOUNT, share)
    assert has_type("It carries 12% of the flow.", AnswerType.AMOUNT, share)
    assert answer_type("What is the total budget allocated to the strategy?") is AnswerType.AMOUNT


def _features(type_ok: float, wanted: AnswerType, typed_names: float = 1.0) -> Features:
    values = dict.fromkeys(FEATURES, 0.9)
    values["type_ok"] = type_ok
    values["typed_names"] = typed_names
    return Features(**values, wanted=wanted.value)


def test_evidence_without_the_required_type_scores_zero_whatever_else_matches():
    model = AnswerabilityModel([1.0] * len(FEATURES), 0.0, 0.2)
    assert model.probability(_features(1.0, AnswerType.COUNT)) > 0.9
    assert model.probability(_features(0.0, AnswerType.COUNT)) == 0.0
    assert model.fitted_probability(_features(0.0, AnswerType.COUNT)) > 0.9
    # a figure with none of the question's names near it is somebody else's figure
    assert model.probability(_features(1.0, AnswerType.COUNT, typed_names=0.0)) == 0.0
    assert model.probability(_features(1.0, AnswerType.COUNT, typed_names=0.5)) > 0.9
    # dates and people are only a feature: their detectors miss on answerable evidence
    assert model.probability(_features(0.0, AnswerType.DATE)) > 0.9


def test_the_shipped_model_names_its_required_types(tmp_path):
    shipped = AnswerabilityModel.load()
    assert set(shipped.required_types) <= {t.value for t in AnswerType}
    path = tmp_path / "model.json"
    shipped.save(path)
    assert AnswerabilityModel.load(path).required_types == shipped.required_types
    assert AnswerabilityModel.load(path).typed_floor == shipped.typed_floor
    bad = path.read_text().replace('"count"', '"colour"')
    path.write_text(bad)
    with pytest.raises(ValueError, match="required_types"):
        AnswerabilityModel.load(path)


def test_abstaining_on_somebody_elses_figure_says_whose_figure_was_missing():
    question = "How many pupils attend Northshire Academy schools?"
    feats = _features(1.0, AnswerType.COUNT, typed_names=0.0)
    verdict = Verdict(False, 0.0, feats, "count", (question, None, []))
    text = abstain_text(True, verdict, None)
    assert "no figure about “Northshire”, “Academy”" in text
    missing_type = Verdict(False, 0.0, _features(0.0, AnswerType.COUNT), "count", None)
    assert "give no figure that answers this" in abstain_text(True, missing_type, None)


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("Who chaired the partnership in 2004?", "The partnership was chaired by Cllr Shah.", True),
        ("Who wrote the paper?", "It was written by Ruth Lupton and Lorna Unwin in 2018.", True),
        ("Who chaired the partnership?", "A survey of the Learning Partnership was made.", False),
        ("Who chaired the partnership?", "In 2004 key intermediaries were surveyed.", False),
        # a capitalised pair inside a longer run is a title's or an organisation's words
        ("Who wrote the paper?", "A Fresh Outlook on Skills: Growing Talent for All.", False),
        ("Who wrote the paper?", "Northshire Combined Authority commissioned it.", False),
    ],
)
def test_a_question_for_a_named_individual_wants_a_name(question, text, expected):
    assert wants_person(question)
    assert has_type(text, AnswerType.PERSON, question) is expected


def test_a_question_about_a_body_does_not_want_a_person():
    assert not wants_person("Who is represented on the partnership board?")
    assert answer_type("Who chaired the partnership?") is AnswerType.AGENT  # abstaining: as before
