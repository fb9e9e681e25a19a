"""A sentence that only announces what follows brings what it announces, and list questions
are recognised however they are phrased (made-up passages, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.answerability import AnswerabilityModel
from assistant.answering.evidence import ScoredSentence
from assistant.answering.extractive_answerer import ExtractiveAnswerer
from assistant.answering.question_type import AnswerType, Shape, list_noun, shape
from assistant.answering.shaping import expand_intros, figure_first
from assistant.core.models import Chunk, DocumentMeta, Passage, RetrievalResult
from assistant.core.profile import load_profile
from assistant.core.sentences import split_sentences


def _result(text: str) -> tuple[RetrievalResult, list[ScoredSentence]]:
    spans = split_sentences(text)
    chunk = Chunk(
        chunk_id="c0", doc_id="d0", ordinal=0, text=text, start=0, end=len(text),
        sentence_spans=spans,
    )  # fmt: skip
    document = DocumentMeta(doc_id="d0", title="Northshire skills review", kind="review")
    result = RetrievalResult([Passage(chunk=chunk, document=document)], np.zeros(3), {}, {})
    scored = [ScoredSentence(0, i, 1.0 - i / 100, 0.5, tuple(s)) for i, s in enumerate(spans)]
    return result, scored


def _texts(result: RetrievalResult, chosen: list[ScoredSentence]) -> list[str]:
    chunk = result.passages[0].chunk
    return [chunk.text[s.span[0] : s.span[1]].strip() for s in chosen]


@pytest.mark.parametrize(
    "intro",
    [
        "The board reflected on the strengths shown over the year;",  # items follow, any mark
        "Why set up a new trust rather than a looser arrangement?",  # the document answers it
        "The board named its strengths:",
    ],
)
def test_an_intro_brings_the_items_it_introduces(intro):
    text = f"Some context first. {intro}\n- shared challenge\n- clear roles\nUnrelated close."
    result, scored = _result(text)
    chosen = expand_intros([scored[1]], scored, result)
    assert _texts(result, chosen) == [intro, "- shared challenge", "- clear roles"]
    assert all(s.follows is scored[1] for s in chosen[1:])


def test_a_bridging_sentence_ending_in_a_colon_is_crossed_to_reach_the_items():
    text = (
        "The council should tackle deeper problems. We identified three:\n"
        "a) weak pathways;\nb) uneven workplaces;\nThat is all."
    )
    result, scored = _result(text)
    chosen = expand_intros([scored[0]], scored, result)
    assert _texts(result, chosen)[1:] == [
        "We identified three:",
        "a) weak pathways;",
        "b) uneven workplaces;",
    ]


def test_a_list_label_split_from_its_item_is_dropped_and_its_item_kept():
    text = "We asked four questions:\n- 1.\nDo partners feel connected?\n2.\nIs the offer clear?"
    result, scored = _result(text)
    chosen = expand_intros([scored[0]], scored, result)
    assert _texts(result, chosen)[1:] == ["Do partners feel connected?", "Is the offer clear?"]
    answerer = ExtractiveAnswerer(0.1, 4, AnswerabilityModel([0.0] * 10, 0.0, 0.0), load_profile())
    lines = answerer._compose("q", result, chosen).answer.splitlines()
    assert lines[1:] == ["- Do partners feel connected? [1]", "- Is the offer clear? [1]"]


def test_a_plain_sentence_brings_nothing():
    result, scored = _result("Partners valued the offer. Funding was tight. Nothing else.")
    assert expand_intros([scored[0]], scored, result) == [scored[0]]


def test_expanded_items_read_as_bullets_under_their_intro():
    text = "The board reflected on its strengths;\n- shared challenge\n- clear roles\nMore."
    result, scored = _result(text)
    answerer = ExtractiveAnswerer(0.1, 4, AnswerabilityModel([0.0] * 10, 0.0, 0.0), load_profile())
    answer = answerer._compose("q", result, expand_intros([scored[0]], scored, result))
    lines = answer.answer.splitlines()
    assert lines[1:] == ["- shared challenge [1]", "- clear roles [1]"]


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("What themes did the review suggest for the communities of practice?", "theme"),
        ("Which key risks does the report name?", "risk"),
        ("What areas of focus are proposed for the offer?", "area"),
        ("What are the phases of the strategy?", "phase"),
    ],
)
def test_list_questions_are_recognised_however_phrased(question, noun):
    assert shape(question) is Shape.LIST
    assert list_noun(question) == noun


def test_a_question_about_one_thing_is_not_a_list_question():
    assert shape("What research body did the paper recommend?") is Shape.PLAIN


def test_the_figure_a_question_asks_for_leads_even_when_selection_missed_it():
    text = "The review covered adult learning. In 2021 it counted 1,200 learners. It closed."
    result, scored = _result(text)
    question = "How many learners did the review count?"
    chosen = figure_first([scored[0]], scored, result, AnswerType.COUNT, question, 0.1)
    assert _texts(result, chosen) == [
        "In 2021 it counted 1,200 learners.",
        "The review covered adult learning.",
    ]
    nothing = figure_first([scored[0]], scored, result, AnswerType.COUNT, question, 2.0)
    assert nothing == [scored[0]]  # not from below the quoting floor
