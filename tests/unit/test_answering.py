"""The extractive answerer: citations, spans, speakers, abstention."""

from __future__ import annotations

import re

import numpy as np
import pytest

from assistant.answering.extractive_answerer import ExtractiveAnswerer
from assistant.core.models import Chunk, DocumentMeta, Passage, RetrievalResult
from assistant.core.sentences import split_sentences
from ingest.attribution import attribution_of


def make_result(texts_and_vectors, query, kinds=None, speakers=None, doc_ids=None):
    passages, sentence_vectors = [], {}
    for index, (text, vectors) in enumerate(texts_and_vectors):
        spans = split_sentences(text)
        doc_id = (doc_ids or [f"doc{index}"] * len(texts_and_vectors))[index]
        chunk = Chunk(
            chunk_id=f"c{index}",
            doc_id=doc_id,
            ordinal=index,
            text=text,
            start=index * 1000,
            end=index * 1000 + len(text),
            section_path=["Findings"],
            kind=(kinds or ["text"] * len(texts_and_vectors))[index],
            speaker=(speakers or [None] * len(texts_and_vectors))[index],
            sentence_spans=spans,
            sentence_attributions=[attribution_of(text[a:b]) for a, b in spans],
        )
        document = DocumentMeta(
            doc_id=doc_id, title=f"Title {doc_id}", short_name=f"{doc_id} review", kind="review"
        )
        passages.append(Passage(chunk=chunk, document=document, score=1.0 - index / 10))
        sentence_vectors[chunk.chunk_id] = np.asarray(vectors, dtype=np.float32)
    return RetrievalResult(passages, np.asarray(query, dtype=np.float32), sentence_vectors, {})


def unit(*values):
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_cites_the_supporting_sentence_with_its_span():
    text = "Museums opened late. In adult learning, partners agreed that apprenticeships improved."
    result = make_result([(text, [unit(0, 1, 0), unit(1, 0.1, 0)])], unit(1, 0, 0))
    answer = ExtractiveAnswerer(abstain_threshold=0.5).answer("apprenticeships?", result)
    assert not answer.abstained
    assert answer.answer == (
        "The doc0 review found: In adult learning, partners agreed that apprenticeships "
        "improved. [1]"
    )
    citation = answer.citations[0]
    assert citation.text[citation.sentence_start : citation.sentence_end].startswith(
        "In adult learning, partners agreed"
    )
    assert citation.speaker == "Partners"


def test_quotes_keep_the_speaker_and_numbers_follow_order_of_appearance():
    quote = '"The City helps us contribute to things we could never do alone."\nSchool partner'
    finding = "Partners said the offer improved a great deal."
    result = make_result(
        [(finding, [unit(1, 0.4)]), (quote, [unit(1, -0.1), unit(0, 1)])],
        unit(1, 0),
        kinds=["list", "quote"],
        speakers=[None, "School partner"],
        doc_ids=["a", "b"],
    )
    answer = ExtractiveAnswerer(abstain_threshold=0.3).answer("what was said?", result)
    assert re.search(
        r"A school partner said: “The City helps us contribute to things we could "
        r"never do alone\.” \[\d\]",
        answer.answer,
    ), answer.answer
    assert "Partners said the offer improved a great deal." in answer.answer
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    assert numbers == sorted(numbers) and {c.n for c in answer.citations} == set(numbers)
    assert answer.answer.count("review found:") == 2  # one lead-in per document


def test_weak_evidence_abstains_and_lists_closest_passages():
    result = make_result([("Unrelated text about parks.", [unit(0, 1)])], unit(1, 0))
    answer = ExtractiveAnswerer(abstain_threshold=0.5).answer("budget of Leeds?", result)
    assert answer.abstained and "don't say" in answer.answer
    assert [c.chunk_id for c in answer.citations] == ["c0"]


def test_rejects_nonsense_configuration():
    with pytest.raises(ValueError):
        ExtractiveAnswerer(max_sentences=0)


@pytest.mark.integration
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


@pytest.mark.integration
def test_school_partner_quote_is_attributed_in_the_answer(corpus_service):
    answer = corpus_service.ask("What did school partners say about the City's resources?")
    assert "school partner said:" in answer.answer.lower()
    assert any(c.speaker == "School partner" for c in answer.citations)


@pytest.mark.integration
def test_question_drawing_on_two_documents_cites_both(corpus_service):
    answer = corpus_service.ask(
        "How do the City of London and Greater Manchester approach adult learning?"
    )
    assert len({c.doc_id for c in answer.citations}) >= 2


def test_specific_terms_are_names_and_numbers_not_sentence_openers():
    from assistant.core.text_match import specific_terms

    assert specific_terms("What is Leeds City Council's budget?") == ["Leeds", "City", "Council"]
    assert specific_terms("How many apprentices were recruited in 2022?") == ["2022"]
    assert specific_terms("How many young people are NEET (not in training)?") == ["NEET"]
    assert specific_terms("What did partners say about apprenticeships?") == []


def test_a_name_the_documents_never_mention_abstains_and_says_so(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    answer = fake_service.ask("What is Leeds City Council's budget for adult education?")
    assert answer.abstained
    assert "never mention “Leeds”" in answer.answer and "City" not in answer.answer.split("“")[1]
    assert answer.citations  # the closest passages are still listed
    assert not fake_service.ask("What did Kirklees Council propose?").answer.startswith(
        "The documents don't say: they never mention"
    )


@pytest.mark.integration
def test_a_recommendation_named_with_its_document_is_quoted_from_that_document(corpus_service):
    answer = corpus_service.ask("What is Recommendation 1 of the mid-term review about?")
    assert not answer.abstained
    assert {c.doc_id for c in answer.citations} == {"city-of-london-mid-term-review"}
    assert len(answer.citations) == 1 and answer.citations[0].text.startswith(
        "Work with education, skills and cultural partners"
    )


@pytest.mark.integration
def test_a_recommendation_number_alone_is_answered_from_every_document_that_has_one(
    corpus_service,
):
    numbered = corpus_service.store.registry.recommendation_chunk_ids("3")
    answer = corpus_service.ask("What is recommendation 3?")
    assert not answer.abstained
    assert {c.chunk_id for c in answer.citations} == set(numbered) and len(numbered) > 1


def test_documents_are_mentioned_by_words_only_their_names_have():
    from assistant.core.models import DocumentMeta
    from assistant.retrieval.hybrid_retriever import mentioned_documents

    metas = {
        "review": DocumentMeta(doc_id="review", title="Mid-Term Review", short_name="City review"),
        "study": DocumentMeta(doc_id="study", title="Feasibility Study", short_name="City study"),
    }
    assert mentioned_documents("Recommendation 1 of the mid-term review?", metas) == {"review"}
    assert mentioned_documents("What does the City recommend?", metas) == set()
