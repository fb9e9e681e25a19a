"""Run the known-findings questions through the real service and score every answer.

Per question: the rank of the first retrieved passage containing a key phrase (passage
hit@1/@5, reciprocal rank), whether an expected document is retrieved (document hit@5 and
recall@5), citation precision, answer support, whether it abstained, and the wall time of
``service.ask``. Follow-up questions are asked with their first question and its answer as
history. Reading the answer itself (``eval.answer_metrics``): whether its text states the
finding, whether each sentence occurs in the passage it cites, and whether a cited document is
about another place than the question names. Retrieval metrics are over the passages the
answer was built from (``top_k``, default 5), captured from the service's own retriever call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from assistant.core.models import Answer, DocumentMeta, Turn
from eval.answer_metrics import (
    question_places,
    sentence_precision,
    states_finding,
    wrong_place_docs,
)
from eval.capture import CapturingRetriever, cited_passages
from eval.metrics import (
    abstention_scores,
    answer_supported,
    citation_precision,
    doc_hit,
    doc_recall,
    first_relevant_rank,
    hit_at,
    mean,
    percentile,
    reciprocal_rank,
)
from eval.questions import Question


@dataclass
class QuestionResult:
    id: str
    kind: str
    question: str
    answerable: bool
    follows: str | None
    abstained: bool
    latency_ms: float
    rank: int | None = None
    passage_hit1: float | None = None
    passage_hit5: float | None = None
    rr: float | None = None
    doc_hit5: float | None = None
    doc_recall5: float | None = None
    citation_precision: float | None = None
    supported: bool | None = None
    states_finding: bool | None = None
    sentence_precision: float | None = None
    uncited_sentences: int = 0
    places: list[str] = field(default_factory=list)
    place_source: str | None = None
    wrong_place_docs: list[str] = field(default_factory=list)
    wrong_place: bool | None = None
    retrieved: list[str] = field(default_factory=list)  # "doc_id#ordinal" per passage
    cited: list[str] = field(default_factory=list)
    rewritten_question: str | None = None
    answer: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def history_for(parent: Question, answer: Answer) -> list[Turn]:
    return [
        Turn(role="user", content=parent.question),
        Turn(role="assistant", content=answer.answer),
    ]


def score_question(
    q: Question,
    answer: Answer,
    passages,
    latency_ms: float,
    metas: Mapping[str, DocumentMeta] | None = None,
) -> QuestionResult:
    """Score one answer given the passages it was built from (``Passage`` objects, in order)
    and the indexed documents' metadata (``doc_id -> DocumentMeta``; the passages' own
    documents are added), which tells which place each document is about."""
    metas = {**(metas or {}), **{p.chunk.doc_id: p.document for p in passages}}
    texts = [p.chunk.text for p in passages]
    doc_ids = [p.chunk.doc_id for p in passages]
    result = QuestionResult(
        id=q.id,
        kind=q.kind,
        question=q.question,
        answerable=q.answerable,
        follows=q.follows,
        abstained=answer.abstained,
        latency_ms=round(latency_ms, 2),
        retrieved=[f"{p.chunk.doc_id}#{p.chunk.ordinal}" for p in passages],
        cited=[c.chunk_id for c in answer.citations],
        rewritten_question=answer.rewritten_question,
        answer=answer.answer,
        timings=dict(answer.timings),
    )
    score_answer_text(result, q, answer, metas)
    if not q.answerable:
        return result
    rank = first_relevant_rank(texts, q.key_phrases)
    result.rank = rank
    result.passage_hit1 = hit_at(rank, 1)
    result.passage_hit5 = hit_at(rank, 5)
    result.rr = reciprocal_rank(rank)
    result.doc_hit5 = doc_hit(doc_ids, q.expected_docs, 5)
    result.doc_recall5 = doc_recall(doc_ids, q.expected_docs, 5)
    cited = [(c.doc_id, c.text) for c in answer.citations]
    if not answer.abstained:
        result.citation_precision = citation_precision(cited, q.expected_docs, q.key_phrases)
    result.supported = answer_supported(
        answer.abstained, [c.text for c in answer.citations], q.key_phrases
    )
    result.states_finding = states_finding(answer.abstained, answer.answer, q.key_phrases)
    return result


def score_answer_text(
    result: QuestionResult, q: Question, answer: Answer, metas: Mapping[str, DocumentMeta]
) -> None:
    """The metrics of a non-abstained answer that need no key phrase: sentence citation
    precision and wrong-place documents (any question that names, or implies, a place)."""
    result.places, result.place_source = question_places(q.place, q.expected_docs, metas)
    if answer.abstained:
        return
    # a citation shows its passage under its section heading, and an item that is a heading
    # ("Phase 1: Vision and commission", the passage under it cited) is quoted from there
    passage_of = {c.n: f"{c.section}\n{c.text}" for c in answer.citations}
    result.sentence_precision, result.uncited_sentences = sentence_precision(
        [(s.text, s.citations) for s in answer.sentences], passage_of
    )
    if result.places and answer.citations:
        cited = [c.doc_id for c in answer.citations]
        result.wrong_place_docs = wrong_place_docs(cited, result.places, metas)
        result.wrong_place = bool(result.wrong_place_docs)


def document_metas(service) -> dict[str, DocumentMeta]:
    """Every indexed document's metadata, from the service's registry (empty if it has none)."""
    registry = getattr(getattr(service, "store", None), "registry", None)
    if registry is None:
        return {}
    return {stored.meta.doc_id: stored.meta for stored in registry.documents()}


def run_questions(
    service,
    questions: list[Question],
    on_done: Callable[[QuestionResult], None] | None = None,
    all_questions: list[Question] | None = None,
    warm_up: bool = True,
) -> list[QuestionResult]:
    """Ask every question (parents of follow-ups first) and score it."""
    by_id = {q.id: q for q in (all_questions or questions)}
    selected = {q.id for q in questions}
    answers: dict[str, Answer] = {}
    results: list[QuestionResult] = []
    metas = document_metas(service)
    capturing = CapturingRetriever(service.retriever)
    service.retriever = capturing
    try:
        if warm_up:  # load the BM25 index and warm the model before anything is timed
            service.ask("What does the strategy say about skills?")

        def ask(q: Question) -> tuple[Answer, float]:
            history: list[Turn] = []
            if q.follows:
                parent = by_id[q.follows]
                if parent.id not in answers:
                    answers[parent.id] = ask(parent)[0]
                history = history_for(parent, answers[parent.id])
            capturing.reset()
            started = time.perf_counter()
            answer = service.ask(q.question, history)
            elapsed = (time.perf_counter() - started) * 1000
            answers[q.id] = answer
            return answer, elapsed

        for q in questions:
            answer, elapsed = ask(q)
            passages = capturing.passages() or cited_passages(service, answer)
            result = score_question(q, answer, passages, elapsed, metas)
            if q.id in selected:
                results.append(result)
            if on_done:
                on_done(result)
    finally:
        service.retriever = capturing._inner
    return results


# -- summaries ---------------------------------------------------------------------------------
METRIC_LABELS = {
    "passage_hit@1": "passage hit@1",
    "passage_hit@5": "passage hit@5",
    "mrr": "MRR (top 5)",
    "doc_hit@5": "document hit@5",
    "doc_recall@5": "document recall@5",
    "citation_precision": "citation precision",
    "answer_support": "answer support",
    "answer_states_finding": "answer states the finding",
    "sentence_citation_precision": "sentence citation precision",
    "wrong_place_answers": "wrong-place answers",
    "wrong_place_rate": "wrong-place rate",
    "false_abstention_rate": "answerable abstained",
    "abstention_precision": "abstention precision",
    "abstention_recall": "abstention recall",
    "abstention_f1": "abstention F1",
    "followup_success": "follow-up success",
    "latency_p50_ms": "latency p50 (ms)",
    "latency_p95_ms": "latency p95 (ms)",
}


def summarise(results: list[QuestionResult]) -> dict:
    """Overall metrics; answer/retrieval metrics over answerable questions only."""
    answerable = [r for r in results if r.answerable]
    followups = [r for r in answerable if r.follows]
    latencies = [r.latency_ms for r in results]
    abstention = abstention_scores(
        [r.abstained for r in results], [not r.answerable for r in results]
    )
    has_unanswerable = any(not r.answerable for r in results)
    placed = [r for r in results if r.wrong_place is not None]
    summary = {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(results) - len(answerable),
        "passage_hit@1": mean(r.passage_hit1 for r in answerable),
        "passage_hit@5": mean(r.passage_hit5 for r in answerable),
        "mrr": mean(r.rr for r in answerable),
        "doc_hit@5": mean(r.doc_hit5 for r in answerable),
        "doc_recall@5": mean(r.doc_recall5 for r in answerable),
        "citation_precision": mean(r.citation_precision for r in answerable),
        "answer_support": mean(float(bool(r.supported)) for r in answerable),
        "answer_states_finding": mean(float(bool(r.states_finding)) for r in answerable),
        "sentence_citation_precision": mean(r.sentence_precision for r in results),
        "wrong_place_answers": sum(1 for r in placed if r.wrong_place),
        "wrong_place_rate": mean(float(bool(r.wrong_place)) for r in placed),
        "false_abstention_rate": mean(float(r.abstained) for r in answerable),
        "abstention_precision": abstention["precision"] if has_unanswerable else None,
        "abstention_recall": abstention["recall"] if has_unanswerable else None,
        "abstention_f1": abstention["f1"] if has_unanswerable else None,
        "followup_success": mean(float(bool(r.supported)) for r in followups),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }
    return summary


def per_kind(results: list[QuestionResult]) -> dict[str, dict]:
    kinds: dict[str, list[QuestionResult]] = {}
    for r in results:
        kinds.setdefault(r.kind, []).append(r)
    table = {}
    for kind, rows in kinds.items():
        answerable = [r for r in rows if r.answerable]
        table[kind] = {
            "questions": len(rows),
            "passage_hit@1": mean(r.passage_hit1 for r in answerable),
            "passage_hit@5": mean(r.passage_hit5 for r in answerable),
            "mrr": mean(r.rr for r in answerable),
            "doc_hit@5": mean(r.doc_hit5 for r in answerable),
            "citation_precision": mean(r.citation_precision for r in answerable),
            "answer_support": mean(float(bool(r.supported)) for r in answerable)
            if answerable
            else None,
            "answer_states_finding": mean(float(bool(r.states_finding)) for r in answerable)
            if answerable
            else None,
            "sentence_citation_precision": mean(r.sentence_precision for r in rows),
            "wrong_place_rate": mean(
                float(bool(r.wrong_place)) for r in rows if r.wrong_place is not None
            ),
            "abstained": mean(float(r.abstained) for r in rows),
            "latency_p50_ms": percentile([r.latency_ms for r in rows], 50),
        }
    return table


def failures(results: list[QuestionResult]) -> list[dict]:
    """Questions that went wrong, with what went wrong, for the report."""
    rows = []
    for r in results:
        problems = []
        if r.answerable:
            if r.abstained:
                problems.append("abstained")
            elif not r.supported:
                problems.append("answer not supported")
            elif r.states_finding is False:
                problems.append("answer text does not state the finding")
            if r.rank is None:
                problems.append("no key phrase in the retrieved passages")
            elif r.rank > 1:
                problems.append(f"first key-phrase passage at rank {r.rank}")
            if not r.doc_hit5:
                problems.append("expected document not retrieved")
        elif not r.abstained:
            problems.append("answered an unanswerable question")
        if r.sentence_precision is not None and r.sentence_precision < 1:
            problems.append(
                f"sentences not in their cited passage ({1 - r.sentence_precision:.0%})"
            )
        if r.wrong_place:
            problems.append(f"cites another place: {', '.join(r.wrong_place_docs)}")
        if problems and not (problems[0].startswith("first key-phrase") and len(problems) == 1):
            rows.append({"id": r.id, "kind": r.kind, "question": r.question, "problems": problems})
    return rows
