"""A table cell quoted alone reads under its table's heading: "Demand: Medium" names nothing
until it is "School Improvement: Demand: Medium"."""

from __future__ import annotations

from assistant.answering.composition import render_sentence
from assistant.core.models import DocumentMeta, Passage
from tests.passages import make_passage


def _table(text: str, section: list[str]) -> Passage:
    meta = DocumentMeta(doc_id="d1", title="Options appraisal")
    return make_passage(text, meta, "d1:t", kind="table", section_path=section)


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
