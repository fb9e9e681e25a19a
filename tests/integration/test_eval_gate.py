"""Regression gate: the quick known-findings subset on the real model and seed corpus must meet
the minimums in eval/thresholds.yaml (no timing assertions)."""

from __future__ import annotations

import pytest

from eval.known_findings import run_questions, summarise
from eval.metrics import contains_phrase
from eval.questions import load_questions, quick_subset
from eval.thresholds import LATENCY_METRICS, check, load_thresholds

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def quick_results(corpus_service):
    questions = load_questions()
    return run_questions(corpus_service, quick_subset(questions), all_questions=questions)


def test_quick_subset_meets_thresholds(quick_results):
    summary = summarise(quick_results)
    breaches = check(summary, load_thresholds()["quick"], ignore=LATENCY_METRICS)
    failing = [
        r.id
        for r in quick_results
        if (r.answerable and not r.supported) or (not r.answerable and not r.abstained)
    ]
    assert not breaches, (
        "quick-subset metrics fell below eval/thresholds.yaml: "
        + "; ".join(str(b) for b in breaches)
        + f" (questions failing: {', '.join(failing)}; run `strategy-assistant eval --subset "
        "quick` for the full report)"
    )


def test_quick_run_leaves_the_service_as_it_was(corpus_service, quick_results):
    from assistant.retrieval.hybrid_retriever import HybridRetriever

    assert isinstance(corpus_service.retriever, HybridRetriever)
    assert len(quick_results) == len(quick_subset(load_questions()))


def test_every_question_is_answerable_from_the_indexed_passages(corpus_service):
    """Each answerable question has a key phrase in some passage of an expected document, so
    a retrieval miss is the system's fault, not the question file's."""
    registry = corpus_service.store.registry
    chunks = [chunk for chunk, _ in registry.iter_chunks()]
    indexed = {chunk.doc_id for chunk in chunks}
    unreachable = []
    for q in load_questions():
        if not q.answerable:
            continue
        assert set(q.expected_docs) <= indexed, f"{q.id}: unknown expected document"
        if not any(
            chunk.doc_id in q.expected_docs and contains_phrase(chunk.text, q.key_phrases)
            for chunk in chunks
        ):
            unreachable.append(q.id)
    assert not unreachable, f"no indexed passage holds a key phrase of {unreachable}"
