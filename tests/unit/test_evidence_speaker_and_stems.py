"""Evidence scoring matches word stems ("presented" meets "present") and lifts a quote whose
speaker the question names ("what did a cultural partner say …?"), whatever its words."""

from __future__ import annotations

import numpy as np

from assistant.answering.evidence import evidence_sentences
from assistant.core.models import DocumentMeta, Passage, RetrievalResult
from tests.passages import make_passage


def _passage(chunk_id: str, text: str, speaker: str | None = None) -> Passage:
    return make_passage(text, DocumentMeta(doc_id="d1", title="Review"), chunk_id, speaker=speaker)


def _texts(question: str, result: RetrievalResult) -> list[str]:
    scored = evidence_sentences(question, result)
    return [result.passages[s.passage_index].chunk.text[s.span[0] : s.span[1]] for s in scored]


def test_an_inflected_word_matches_its_stem():
    page = _passage("d1:c", "Offices open at nine. Leaflets present learning as a chore.")
    result = RetrievalResult([page], np.zeros(3), {}, {})  # no vectors: words decide
    assert _texts("How is learning presented in leaflets?", result)[0].startswith("Leaflets")


def test_a_quote_from_the_speaker_the_question_names_outranks_a_closer_echo():
    quote = _passage("d1:q", "They help us do what we never could alone.", "Museum partner")
    echo = _passage("d1:e", "Partners value the council's museums.")
    result = RetrievalResult([echo, quote], np.zeros(3), {}, {})
    asked = _texts("How did a museum partner describe working with the council?", result)
    assert asked[0] == "They help us do what we never could alone."
    # a question that names no such speaker gets no lift for the quote
    other = _texts("How do partners describe working with the council?", result)
    assert other[0] == "Partners value the council's museums."


def test_a_question_the_document_asks_yields_to_the_sentence_that_answers():
    page = _passage(
        "d1:c", "Do partners value the unit? Perceptions of the unit were positive overall."
    )
    result = RetrievalResult([page], np.zeros(3), {}, {})
    assert _texts("Do partners value the unit?", result)[0].startswith("Perceptions")
