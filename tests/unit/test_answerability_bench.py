"""The answerability benchmark's arithmetic (eval/bench/answerability_metrics.py) and its case
building, on fakes: no model, no index."""

from __future__ import annotations

import json

import pytest

from eval.bench.answerability_cases import article_of, public_cases
from eval.bench.answerability_metrics import (
    HELD_OUT,
    TUNE,
    at_threshold,
    auroc,
    highest_threshold,
    split_groups,
    split_of,
)
from eval.bench.datasets import load_squad


def test_auroc_known_cases():
    assert auroc([0.9, 0.8, 0.3, 0.1], [True, True, False, False]) == 1.0
    assert auroc([0.1, 0.3, 0.8, 0.9], [True, True, False, False]) == 0.0
    # one of the four positive/negative pairs is out of order: 3/4
    assert auroc([0.9, 0.4, 0.5, 0.1], [True, True, False, False]) == pytest.approx(0.75)
    # a tie between a positive and a negative counts half: (1 + 0.5) / 2
    assert auroc([0.9, 0.5, 0.5], [True, True, False]) == pytest.approx(0.75)
    assert auroc([0.2, 0.2, 0.2, 0.2], [True, False, True, False]) == pytest.approx(0.5)


def test_auroc_needs_both_classes():
    assert auroc([0.1, 0.2], [True, True]) is None
    with pytest.raises(ValueError):
        auroc([0.1], [True, False])


def test_split_keeps_every_article_in_one_half():
    items = {f"q{i}": {f"article{i % 7}"} for i in range(70)}
    assignment = split_groups(items, seed=13)
    assert set(assignment) == {f"article{i}" for i in range(7)}
    halves = {split_of(groups, assignment) for groups in items.values()}
    assert halves == {TUNE, HELD_OUT}
    for side in (TUNE, HELD_OUT):
        articles = {g for g, s in assignment.items() if s == side}
        other = {g for g, s in assignment.items() if s != side}
        assert articles and not articles & other
    counts = [sum(1 for g in items.values() if split_of(g, assignment) == s) for s in halves]
    assert abs(counts[0] - counts[1]) <= 10  # dealt to balance: 4 vs 3 articles of 10
    assert split_groups(items, seed=13) == assignment  # seeded: the same split every run


def test_split_prefers_the_deal_that_keeps_multi_article_questions():
    # "c" was asked of two articles: usable only if p1 and p2 land in the same half
    items = {"a": {"p1"}, "b": {"p2"}, "c": {"p1", "p2"}, "d": {"p3"}, "e": {"p4"}}
    assignment = split_groups(items, seed=1, tries=50)
    assert split_of(items["c"], assignment) is not None
    assert all(split_of(groups, assignment) is not None for groups in items.values())
    assert split_of({"p1", "p3"}, {"p1": TUNE, "p3": HELD_OUT}) is None


def test_highest_threshold_allows_at_most_the_rate():
    probabilities = [i / 100 for i in range(1, 101)]  # 0.01 … 1.00
    t = highest_threshold(probabilities, 0.03)
    assert t == pytest.approx(0.04)
    abstained = sum(1 for p in probabilities if p < t)
    assert abstained == 3  # exactly 3 % of the answerable abstained
    assert sum(1 for p in probabilities if p < t + 1e-9) > 3 or t == 1.0  # and no higher
    assert highest_threshold([0.5, 0.7], 0.0) == 0.5  # nothing may be abstained
    assert highest_threshold([0.5, 0.7], 1.0) == 1.0
    with pytest.raises(ValueError):
        highest_threshold([], 0.03)


def test_at_threshold_precision_recall_and_wrong_abstentions():
    probabilities = [0.9, 0.2, 0.8, 0.1, 0.3, 0.7]
    answerable = [True, True, True, False, False, False]
    figures = at_threshold(probabilities, answerable, 0.5)
    # abstained: 0.2 (answerable: wrong), 0.1 and 0.3 (unanswerable: right)
    assert figures["precision"] == pytest.approx(2 / 3)
    assert figures["recall"] == pytest.approx(2 / 3)
    assert figures["wrongly_abstained"] == pytest.approx(1 / 3)
    assert figures["wrongly_abstained_n"] == 1
    nothing = at_threshold(probabilities, answerable, 0.0)
    assert nothing["precision"] is None and nothing["recall"] == 0.0


def _squad_file(tmp_path):
    data = {"data": []}
    for a in range(6):
        paragraphs = []
        for p in range(2):
            qas = [
                {
                    "id": f"{a}-{p}-{q}",
                    "question": f"Question {a} {p} {q}?",
                    "answers": [{"text": f"answer {a}{p}{q}", "answer_start": 0}],
                }
                for q in range(3)
            ]
            paragraphs.append({"context": f"Article {a} paragraph {p}.", "qas": qas})
        data["data"].append({"title": f"Article_{a}", "paragraphs": paragraphs})
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_public_cases_pair_each_question_and_keep_articles_apart(tmp_path):
    path = _squad_file(tmp_path)
    dataset = load_squad(path, name="fake")
    made = public_cases(dataset, path, sample=24, seed=13)
    by_split = {TUNE: set(), HELD_OUT: set()}
    for case in made.cases:
        by_split[case.split].add(case.group)
    assert by_split[TUNE] and by_split[HELD_OUT]
    assert not by_split[TUNE] & by_split[HELD_OUT]
    answerable = [c for c in made.cases if c.answerable]
    unanswerable = [c for c in made.cases if not c.answerable]
    assert len(answerable) == len(unanswerable) == 24
    for a, u in zip(answerable, unanswerable, strict=True):
        assert a.question == u.question and a.gold == u.gold
        assert a.exclude == () and u.exclude == u.gold  # only the unanswerable one filters
        assert {article_of(d) for d in u.gold} == {u.group}
        assert a.answers  # the gold answer texts ride along for the diagnostics


def _row(answerable: bool, typed_coverage: float, wanted: str = "count"):
    from assistant.answering.answerability import FEATURES, Features
    from eval.bench.answerability_cases import Case
    from eval.bench.answerability_rows import Row

    values = dict.fromkeys(FEATURES, 0.5)
    values.update(type_ok=1.0, typed_names=1.0, typed_coverage=typed_coverage)
    case = Case("q", "squad", "How many?", answerable, TUNE, "a")
    return Row(case, "alone", Features(**values, wanted=wanted), 0.5, False, 0.0, True, True)


def test_typed_floor_is_the_highest_no_answerable_tuning_case_falls_under():
    from assistant.answering.answerability import AnswerabilityModel
    from eval.bench.answerability_fit import typed_floor

    model = AnswerabilityModel([0.0] * 10, 0.0, 0.0)
    rows = [_row(True, 0.32), _row(False, 0.1), _row(False, 0.3), _row(True, 0.9)]
    assert typed_floor(rows, model) == 0.3  # 0.35 would settle the answerable 0.32 case
    rows.append(_row(True, 0.05, wanted="any"))  # not a required type: never settled by it
    assert typed_floor(rows, model) == 0.3
    model.typed_floor = 0.3
    assert model.probability(rows[1].features) == 0.0
    assert model.probability(rows[0].features) > 0.0
