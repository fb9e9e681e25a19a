"""A table cell quoted alone reads under its table's heading: "Demand: Medium" names nothing
until it is "School Improvement: Demand: Medium"."""

from __future__ import annotations

from assistant.answering.composition import render_sentence
from assistant.core.models import Chunk, DocumentMeta, Passage
from assistant.core.sentences import split_sentences


def _table(text: str, section: list[str]) -> Passage:
    chunk = Chunk(
        chunk_id="d1:t", doc_id="d1", ordinal=0, text=text, start=0, end=len(text),
        sentence_spans=split_sentences(text), kind="table", section_path=section,
    )  # fmt: skip
    return Passage(chunk=chunk, document=DocumentMeta(doc_id="d1", title="Options appraisal"))


def test_a_lone_cell_carries_the_last_heading_of_its_section():
    passage = _table("Demand: Medium\nCost: Low", ["Findings", "School Improvement"])
    span = passage.chunk.sentence_spans[0]
    assert render_sentence(passage, span) == "School Improvement: Demand: Medium"
    assert render_sentence(passage, span, label=False) == "Demand: Medium"  # labelled once


def test_a_row_that_names_itself_or_already_holds_the_heading_is_left_alone():
    row = _table("Area: Careers; Demand: High; Cost: Low", ["Findings", "Careers"])
    assert render_sentence(row, (0, len(row.chunk.text))).startswith("Area: Careers;")
    named = _table("Careers demand: High", ["Findings", "Careers"])
    assert render_sentence(named, (0, len(named.chunk.text))) == "Careers demand: High"
