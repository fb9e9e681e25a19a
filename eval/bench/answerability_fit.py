"""Fitting the answerability model and scoring it: the logistic regression, the figures per
set (fitted model vs the old rule), other operating points and what each feature carries."""

from __future__ import annotations

import math

from assistant.answering.answerability import FEATURES, AnswerabilityModel
from eval.bench.answerability_cases import SEED_SOURCE
from eval.bench.answerability_metrics import (
    abstention_figures,
    at_threshold,
    auroc,
    highest_threshold,
)
from eval.bench.answerability_rows import Row

SOURCES = ("squad", "policyqa")


def fit(rows: list[Row], max_rate: float) -> AnswerabilityModel:
    """Logistic regression on ``rows`` (label: answerable), weights rounded to 4 places as
    shipped; the threshold is chosen with the rounded model's own probabilities."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([r.features.vector() for r in rows])
    y = np.array([int(r.case.answerable) for r in rows])
    model = LogisticRegression(C=1.0, max_iter=5000).fit(x, y)
    weights = [round(float(w), 4) for w in model.coef_[0]]
    fitted = AnswerabilityModel(weights, round(float(model.intercept_[0]), 4), 0.0)
    fitted.typed_floor = typed_floor(rows, fitted)
    answerable = [fitted.probability(r.features) for r in rows if r.case.answerable]
    threshold = highest_threshold(answerable, max_rate)
    fitted.threshold = math.floor(threshold * 10_000) / 10_000  # rounding never raises the rate
    return fitted


def typed_floor(rows: list[Row], model: AnswerabilityModel) -> float:
    """The highest floor (in steps of 0.05, at most 0.5) on ``typed_coverage`` below which
    no answerable tuning case asking for a required type falls: a figure whose sentence
    shares almost none of the question's subject words is somebody else's figure."""
    lowest = min(
        (
            r.features.typed_coverage
            for r in rows
            if r.case.answerable
            and r.features.wanted in model.required_types
            and not model.settled_by_type(r.features, 0.0)
        ),
        default=1.0,
    )
    steps = [step / 20 for step in range(1, 11) if step / 20 <= lowest]
    return steps[-1] if steps else 0.0


def figures(rows: list[Row], model: AnswerabilityModel, floor: float | None = None) -> dict:
    """AUROC of the abstain score and the operating point, new model vs the old rule."""
    p = [model.probability(r.features) for r in rows]
    ok = [r.case.answerable for r in rows]
    new = at_threshold(p, ok, model.threshold)
    new["auroc"] = auroc([1 - q for q in p], [not a for a in ok])
    old = abstention_figures([r.old_abstain for r in rows], ok)
    old["auroc"] = auroc([r.old_score for r in rows], [not a for a in ok])
    out = {"new": new, "old": old}
    if floor is not None:  # the answerer also refuses evidence scoring under abstain_threshold
        both = [q < model.threshold or r.best < floor for q, r in zip(p, rows, strict=True)]
        out["new+floor"] = abstention_figures(both, ok)
    answerable = [(q, r) for q, r in zip(p, rows, strict=True) if r.case.answerable]
    unanswerable = [(q, r) for q, r in zip(p, rows, strict=True) if not r.case.answerable]
    out["gold_retrieved"] = _share(r.gold_retrieved for _, r in answerable)
    out["answer_in_unanswerable"] = _share(r.answer_in_passages for _, r in unanswerable)
    # the same figures on the cleaner labels: answerable with the gold paragraph retrieved,
    # unanswerable with no gold answer text in the passages
    out["wrongly_abstained_gold_retrieved"] = _share(
        q < model.threshold for q, r in answerable if r.gold_retrieved
    )
    out["recall_answer_absent"] = _share(
        q < model.threshold for q, r in unanswerable if not r.answer_in_passages
    )
    return out


def _share(flags) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def by_source(rows: list[Row], model: AnswerabilityModel, floor: float) -> dict:
    table = {s: figures([r for r in rows if r.case.source == s], model, floor) for s in SOURCES}
    seeds = [r for r in rows if r.case.source == SEED_SOURCE]
    if seeds:
        table[SEED_SOURCE] = figures(seeds, model, floor)
    public = [r for r in rows if r.case.source in SOURCES]
    table["overall"] = figures(public, model, floor)
    return table


def tradeoff(tune: list[Row], held: dict[str, list[Row]], model: AnswerabilityModel) -> list:
    """Other operating points of the same model: the threshold each tuning rate gives, and the
    held-out figures there (the chosen rule is one row of this)."""
    answerable = [model.probability(r.features) for r in tune if r.case.answerable]
    points = []
    for rate in (0.01, 0.03, 0.05, 0.10, 0.20):
        threshold = math.floor(highest_threshold(answerable, rate) * 10_000) / 10_000
        entry = {"rate": rate, "threshold": threshold}
        for name, rows in held.items():
            p = [model.probability(r.features) for r in rows]
            entry[name] = at_threshold(p, [r.case.answerable for r in rows], threshold)
        points.append(entry)
    return points


def feature_weights(tune: list[Row], held: list[Row], model: AnswerabilityModel, max_rate):
    """Per feature: weight, weight x its spread on the tuning data, held-out AUROC of the
    feature alone, and held-out AUROC of a model refitted without it."""
    import statistics

    rows = []
    unanswerable = [not r.case.answerable for r in held]
    for index, name in enumerate(FEATURES):
        values = [r.features.vector()[index] for r in tune]
        spread = statistics.pstdev(values)
        alone = auroc([-r.features.vector()[index] for r in held], unanswerable)
        rows.append(
            {
                "feature": name,
                "weight": model.weights[index],
                "scaled": model.weights[index] * spread,
                "mean": statistics.fmean(values),
                "auroc_alone": alone,
                "auroc_without": _auroc_without(tune, held, index),
            }
        )
    return rows


def _auroc_without(tune: list[Row], held: list[Row], drop: int) -> float | None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    def matrix(rows):
        return np.array([[v for i, v in enumerate(r.features.vector()) if i != drop] for r in rows])

    y = np.array([int(r.case.answerable) for r in tune])
    model = LogisticRegression(C=1.0, max_iter=5000).fit(matrix(tune), y)
    p = model.predict_proba(matrix(held))[:, 1]
    return auroc([1 - float(q) for q in p], [not r.case.answerable for r in held])


def mixing_effect(
    alone: list[Row], mixed: list[Row], model: AnswerabilityModel, seed: int, draws: int = 1000
) -> dict:
    """Held-out AUROC on the mixed index minus on the own index, for the fitted model and the
    old rule, with a 95% paired bootstrap interval (questions resampled, each with both its
    cases and both indexes, so the interval is of the difference itself)."""
    import random

    from sklearn.metrics import roc_auc_score

    mine = {r.case.case_id: r for r in mixed}
    pairs = [(r, mine[r.case.case_id]) for r in alone if r.case.case_id in mine]
    by_question: dict[str, list[int]] = {}
    for number, (row, _) in enumerate(pairs):
        by_question.setdefault(row.case.case_id.rsplit(":", 1)[0], []).append(number)
    questions = sorted(by_question)
    y = [not row.case.answerable for row, _ in pairs]  # abstaining is the positive class
    scores = {
        "new": (
            [1 - model.probability(a.features) for a, _ in pairs],
            [1 - model.probability(m.features) for _, m in pairs],
        ),
        "old": ([a.old_score for a, _ in pairs], [m.old_score for _, m in pairs]),
    }
    rng = random.Random(seed)
    out = {}
    for name, (own, mix) in scores.items():
        diffs = []
        for _ in range(draws):
            picked = [i for q in rng.choices(questions, k=len(questions)) for i in by_question[q]]
            labels = [y[i] for i in picked]
            diffs.append(
                roc_auc_score(labels, [mix[i] for i in picked])
                - roc_auc_score(labels, [own[i] for i in picked])
            )
        diffs.sort()
        out[name] = {
            "difference": roc_auc_score(y, mix) - roc_auc_score(y, own),
            "low": diffs[int(0.025 * draws)],
            "high": diffs[int(0.975 * draws) - 1],
        }
    return out
