"""The extractive answerer on the real model and the ingested seed corpus (``corpus_service``)."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import CORPUS

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("question", "doc_id", "phrase"),
    [
        (
            "What did partners say about apprenticeships?",
            "city-of-london-mid-term-review",
            "apprenticeships offer had improved significantly",
        ),
        (
            "What is the total income of the Fusion Skills Civic Trust in year 3?",
            "city-of-london-esc-feasibility-study",
            "£1,000,000",
        ),
        (
            "What does Greater Manchester recommend about an executive leader?",
            "greater-manchester-education-skills",
            "dedicated executive leader",
        ),
    ],
)
def test_real_answers_cite_the_right_passage(corpus_service, question, doc_id, phrase):
    answer = corpus_service.ask(question)
    assert not answer.abstained
    assert any(c.doc_id == doc_id and phrase in c.text for c in answer.citations), answer.answer
    for citation in answer.citations:  # the highlighted span is a sentence of the passage
        sentence = citation.text[citation.sentence_start : citation.sentence_end]
        assert sentence.strip() and sentence.strip(" -") in citation.text


def test_school_partner_quote_is_attributed_in_the_answer(corpus_service):
    answer = corpus_service.ask("What did school partners say about the City's resources?")
    assert "school partner said:" in answer.answer.lower()
    assert any(c.speaker == "School partner" for c in answer.citations)


def test_question_drawing_on_two_documents_cites_both(corpus_service):
    question = "How do the City of London and Greater Manchester approach adult learning?"
    manifest = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
    # the documents of the two places the question names that speak of adults at all
    drawn_on = {
        entry["id"]
        for name, entry in manifest["documents"].items()
        if entry["place"] in question and "adult" in (CORPUS / name).read_text().lower()
    }
    assert len(drawn_on) == 2, drawn_on
    answer = corpus_service.ask(question)
    assert not answer.abstained, answer.answer
    assert {c.doc_id for c in answer.citations} == drawn_on, answer.answer


def test_a_recommendation_named_with_its_document_is_quoted_from_that_document(corpus_service):
    answer = corpus_service.ask("What is Recommendation 1 of the mid-term review about?")
    assert not answer.abstained
    assert {c.doc_id for c in answer.citations} == {"city-of-london-mid-term-review"}
    assert len(answer.citations) == 1 and answer.citations[0].text.startswith(
        "Work with education, skills and cultural partners"
    )


def test_a_recommendation_number_alone_is_answered_from_every_document_that_has_one(
    corpus_service,
):
    numbered = corpus_service.store.registry.recommendation_chunk_ids("3")
    answer = corpus_service.ask("What is recommendation 3?")
    assert not answer.abstained
    assert {c.chunk_id for c in answer.citations} == set(numbered) and len(numbered) > 1
