"""The extractive answerer on hand-made passages and fake embeddings: citations, spans, speakers,
abstention.

The same answerer on the real model and the seed corpus: tests/integration/test_answering.py.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from assistant.answering.answerability import AnswerabilityModel
from assistant.answering.extractive_answerer import ExtractiveAnswerer
from assistant.core.models import Chunk, DocumentMeta, Passage, RetrievalResult
from assistant.core.profile import load_profile
from assistant.core.sentences import split_sentences
from assistant.core.settings import Settings
from ingest.attribution import attribution_of

MAX_SENTENCES = Settings().answer_max_sentences  # the app's own default
ANSWERABILITY = AnswerabilityModel.load()  # the shipped model
PROFILE = load_profile()  # the default corpus profile


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
    answer = ExtractiveAnswerer(
        abstain_threshold=0.5,
        max_sentences=MAX_SENTENCES,
        answerability=ANSWERABILITY,
        profile=PROFILE,
    ).answer("apprenticeships?", result)
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
    answer = ExtractiveAnswerer(
        abstain_threshold=0.3,
        max_sentences=MAX_SENTENCES,
        answerability=ANSWERABILITY,
        profile=PROFILE,
    ).answer("what was said?", result)
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
    answer = ExtractiveAnswerer(
        abstain_threshold=0.5,
        max_sentences=MAX_SENTENCES,
        answerability=ANSWERABILITY,
        profile=PROFILE,
    ).answer("budget of Leeds?", result)
    assert answer.abstained and "don't say" in answer.answer
    assert [c.chunk_id for c in answer.citations] == ["c0"]


def test_rejects_nonsense_configuration():
    with pytest.raises(ValueError):
        ExtractiveAnswerer(
            abstain_threshold=0.5, max_sentences=0, answerability=ANSWERABILITY, profile=PROFILE
        )


def test_specific_terms_are_names_and_numbers_not_sentence_openers():
    from assistant.core.text_match import specific_terms

    assert specific_terms("What is Leeds City Council's budget?") == ["Leeds", "City", "Council"]
    assert specific_terms("How many apprentices were recruited in 2022?") == ["2022"]
    assert specific_terms("How many young people are NEET (not in training)?") == ["NEET"]
    assert specific_terms("What did partners say about apprenticeships?") == []


def test_a_council_with_no_documents_abstains_and_says_so(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    answer = fake_service.ask("What is Leeds City Council's budget for adult education?")
    assert answer.abstained
    assert "none of the indexed documents is about Leeds City Council" in answer.answer
    assert answer.citations  # the closest passages are still listed
    held = fake_service.ask("What did Kirklees Council propose?")
    assert "none of the indexed documents is about" not in held.answer
    assert all(c.doc_id == "kirklees-learning-strategy-scrutiny" for c in held.citations)


def test_a_name_the_documents_never_mention_is_named_when_abstaining(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    answer = fake_service.ask("What did partners say about the Zorblax Quillfeather programme?")
    assert answer.abstained
    assert "never mention “Zorblax”" in answer.answer


def test_documents_are_mentioned_by_words_only_their_names_have():
    from assistant.core.models import DocumentMeta
    from assistant.retrieval.named_recommendations import mentioned_documents

    metas = {
        "review": DocumentMeta(doc_id="review", title="Mid-Term Review", short_name="City review"),
        "study": DocumentMeta(doc_id="study", title="Feasibility Study", short_name="City study"),
    }
    assert mentioned_documents("Recommendation 1 of the mid-term review?", metas) == {"review"}
    assert mentioned_documents("What does the City recommend?", metas) == set()


def test_answerability_is_judged_on_the_first_judge_k_passages_but_quotes_from_all():
    weak = "Museums opened late on Fridays."
    strong = "In adult learning, partners agreed that apprenticeships improved."
    result = make_result(
        [(weak, [unit(0, 1, 0)]), (weak.replace("Fri", "Sun"), [unit(0, 1, 0)]),
         (strong, [unit(1, 0, 0)])],
        unit(1, 0, 0),
    )  # fmt: skip
    question = "What did partners say about apprenticeships?"
    wide = ExtractiveAnswerer(0.1, MAX_SENTENCES, ANSWERABILITY, PROFILE, judge_k=3)
    narrow = ExtractiveAnswerer(0.1, MAX_SENTENCES, ANSWERABILITY, PROFILE, judge_k=2)
    # the third passage's sentence is the evidence only when the judge reads three passages
    assert wide.judge(question, result).features.cosine == pytest.approx(1.0)
    assert narrow.judge(question, result).features.cosine == pytest.approx(0.0, abs=1e-6)
    forced = replace(narrow.judge(question, result), answerable=True)
    assert "apprenticeships improved" in narrow.answer(question, result, forced).answer
    with pytest.raises(ValueError):
        ExtractiveAnswerer(0.1, MAX_SENTENCES, ANSWERABILITY, PROFILE, judge_k=0)
