"""Abstention calibration: sweep the extractive answerer's abstain threshold over the questions.

Each question is retrieved once through the real service (follow-ups with their history);
then, for every threshold, the service's own answering step (``answer_items``: its checks
before answering, then the extractive answerer with that threshold) answers from the same
retrieval result, which is exactly what ``ask`` would return with that threshold. The
recommended value maximises the F1 of abstention on the unanswerable questions among
thresholds that keep answer support on the answerable questions within ``max_support_loss``
of the best support on the curve; ties go to the middle of the best plateau (the value least
sensitive to small shifts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.answering.evidence import evidence_sentences
from assistant.core.models import Answer
from eval.capture import CapturingRetriever
from eval.known_findings import history_for
from eval.metrics import abstention_scores, answer_supported
from eval.questions import Question


@dataclass
class Retrieved:
    question: Question
    result: object  # RetrievalResult
    best_evidence: float
    standalone: str
    history: list


def answer_at(service, row: Retrieved, threshold: float) -> Answer:
    """What ``service.ask`` answers from ``row``'s retrieval with ``threshold`` (extractive)."""
    extractive = service.extractive
    saved = (extractive.abstain_threshold, service.llm)
    extractive.abstain_threshold, service.llm = threshold, None
    try:
        if hasattr(service, "answer_items"):
            items = service.answer_items(
                row.question.question, row.standalone, row.result, row.history
            )
            return [item for item in items if isinstance(item, Answer)][-1]
        return extractive.answer(row.question.question, row.result)
    finally:
        extractive.abstain_threshold, service.llm = saved


def retrieve_all(service, questions: list[Question], all_questions: list[Question], advance=None):
    by_id = {q.id: q for q in all_questions}
    answers = {}
    rows: list[Retrieved] = []
    capturing = CapturingRetriever(service.retriever)
    service.retriever = capturing
    try:
        for q in questions:
            history = []
            if q.follows:
                parent = by_id[q.follows]
                if parent.id not in answers:
                    answers[parent.id] = service.ask(parent.question)
                history = history_for(parent, answers[parent.id])
            answer = service.ask(q.question, history)
            answers[q.id] = answer
            result = capturing.last
            scored = evidence_sentences(q.question, result)
            best = scored[0].score if scored else 0.0
            standalone = answer.rewritten_question or q.question
            rows.append(Retrieved(q, result, best, standalone, history))
            if advance:
                advance(1)
    finally:
        service.retriever = capturing._inner
    return rows


def sweep(service, rows: list[Retrieved], thresholds: list[float]) -> list[dict[str, float]]:
    curve = []
    for threshold in thresholds:
        abstained, unanswerable, supported = [], [], []
        for row in rows:
            answer = answer_at(service, row, threshold)
            abstained.append(answer.abstained)
            unanswerable.append(not row.question.answerable)
            if row.question.answerable:
                supported.append(
                    answer_supported(
                        answer.abstained,
                        [c.text for c in answer.citations],
                        row.question.key_phrases,
                    )
                )
        scores = abstention_scores(abstained, unanswerable)
        answerable_abstained = sum(
            1 for a, u in zip(abstained, unanswerable, strict=True) if a and not u
        )
        curve.append(
            {
                "threshold": round(threshold, 4),
                "abstention_precision": scores["precision"],
                "abstention_recall": scores["recall"],
                "abstention_f1": scores["f1"],
                "answer_support": sum(supported) / len(supported) if supported else 0.0,
                "false_abstention_rate": answerable_abstained / max(1, len(supported)),
            }
        )
    return curve


def recommend(curve: list[dict[str, float]], max_support_loss: float = 0.02) -> dict:
    """The threshold with the best abstention F1 whose answer support is within
    ``max_support_loss`` of the best support on the curve (middle of the best plateau)."""
    best_support = max(p["answer_support"] for p in curve)
    allowed = [p for p in curve if p["answer_support"] >= best_support - max_support_loss - 1e-9]
    best_f1 = max(p["abstention_f1"] for p in allowed)
    top = [p for p in allowed if abs(p["abstention_f1"] - best_f1) < 1e-9]
    # the longest run of consecutive thresholds reaching the best F1; its middle point
    index = {p["threshold"]: i for i, p in enumerate(curve)}
    runs: list[list[dict]] = []
    for point in top:
        if runs and index[point["threshold"]] == index[runs[-1][-1]["threshold"]] + 1:
            runs[-1].append(point)
        else:
            runs.append([point])
    longest = max(runs, key=len)
    chosen = longest[(len(longest) - 1) // 2]
    unconstrained = max(curve, key=lambda p: (p["abstention_f1"], p["answer_support"]))
    return {
        **chosen,
        "best_support_on_curve": best_support,
        "max_support_loss": max_support_loss,
        "plateau": [longest[0]["threshold"], longest[-1]["threshold"]],
        "best_f1_any_support": unconstrained,
    }


def default_thresholds(low: float = 0.20, high: float = 0.70, step: float = 0.01) -> list[float]:
    return [round(float(t), 4) for t in np.arange(low, high + step / 2, step)]
