"""Deterministic follow-up rewriting (no LLM)."""

from __future__ import annotations

from assistant.answering.followup import is_follow_up, rewrite_follow_up
from assistant.core.models import Turn

HISTORY = [
    Turn(role="user", content="What did partners say about apprenticeships?"),
    Turn(role="assistant", content="The City of London mid-term review found: … [1]"),
]


def test_what_about_swaps_the_topic():
    assert rewrite_follow_up("And what about adult learners?", HISTORY) == (
        "What did partners say about adult learners?"
    )


def test_pronoun_follow_up_carries_the_previous_topic():
    rewritten = rewrite_follow_up("What did the Kirklees report say about that?", HISTORY)
    assert rewritten.startswith("What did the Kirklees report say about that?")
    assert "apprenticeship" in rewritten and "partner" in rewritten


def test_standalone_questions_are_left_alone():
    question = "What are the seven recommendations of the mid-term review?"
    assert not is_follow_up(question)
    assert rewrite_follow_up(question, HISTORY) == question
    assert rewrite_follow_up("and what about adult learners?", []) == (
        "and what about adult learners?"
    )


def test_follow_up_through_the_service_reports_the_rewrite(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    answer = fake_service.ask("what about adult learners?", HISTORY)
    assert answer.rewritten_question == "What did partners say about adult learners?"
    assert answer.question == "what about adult learners?"
