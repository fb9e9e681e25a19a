"""Structure-aware chunking of the real seed documents."""

from __future__ import annotations

import hashlib

import pytest

from assistant.core.models import DocumentMeta, SourceDocument
from assistant.core.normalise import fold_for_match, normalise_text
from assistant.core.settings import Settings
from ingest.blocks import parse_blocks
from ingest.manifest import load_manifest
from ingest.structured_chunker import StructuredChunker
from ingest.tables import render_table
from tests.conftest import CORPUS


def chunk_document(name: str, max_chars: int | None = None):
    entry = load_manifest(CORPUS)[name]
    text = normalise_text((CORPUS / name).read_text(encoding="utf-8"))
    meta = DocumentMeta(doc_id=entry["id"], title=entry["title"])
    doc = SourceDocument(
        meta=meta, text=text, content_hash=hashlib.sha256(text.encode()).hexdigest()
    )
    return doc, StructuredChunker(max_chars or Settings().chunk_max_chars).split(doc)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_offsets_point_into_the_source_and_sentences_into_the_chunk(name):
    doc, chunks = chunk_document(name)
    assert chunks, "every seed document yields passages"
    for chunk in chunks:
        source = fold_for_match(doc.text[chunk.start : chunk.end].replace("**", ""))
        assert 0 <= chunk.start < chunk.end <= len(doc.text)
        assert len(chunk.text) <= Settings().chunk_max_chars or chunk.kind == "table"
        for start, end in chunk.sentence_spans:
            sentence = chunk.text[start:end]
            assert sentence.strip()
            if chunk.kind != "table":  # table rows are re-rendered with their headers
                assert fold_for_match(sentence.lstrip("- ")) in source


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_no_text_is_lost_except_headings_and_table_headers(name):
    doc, chunks = chunk_document(name)
    covered = bytearray(len(doc.text))
    for chunk in chunks:
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
    for block in parse_blocks(doc.text):
        if block.kind == "heading":
            covered[block.start : block.end] = b"\x01" * (block.end - block.start)
    lost = "".join(ch if not covered[i] else "\n" for i, ch in enumerate(doc.text))
    lost_lines = [line.strip() for line in lost.split("\n") if len(line.strip()) > 40]
    # Only table header rows (their names live inside every rendered row) may be uncovered.
    assert all("\t" in line for line in lost_lines), lost_lines


def test_partner_quotes_keep_their_attribution():
    _, chunks = chunk_document("city-of-london-mid-term-review.txt")
    quotes = [c for c in chunks if c.kind == "quote"]
    speakers = {c.speaker for c in quotes}
    assert {"Cultural partner", "School partner", "Strategy partner"} <= speakers
    covid = next(c for c in quotes if "different perspective on flourishing" in c.text)
    assert covid.speaker == "Strategy partner"
    assert covid.section_path[0] == "The strategies and Covid"


def test_mid_term_review_recommendations_are_numbered_one_to_seven():
    _, chunks = chunk_document("city-of-london-mid-term-review.txt")
    numbers = {c.recommendation for c in chunks if c.kind == "recommendation"}
    assert numbers == {str(n) for n in range(1, 8)}
    first = next(c for c in chunks if c.recommendation == "5")
    assert first.text.startswith("Redesign the Education Strategy Unit's annual report")


def test_greater_manchester_numbered_recommendations_are_one_chunk_each():
    _, chunks = chunk_document("greater-manchester-education-skills.txt")
    numbered = {c.recommendation: c for c in chunks if c.kind == "recommendation"}
    assert {str(n) for n in range(1, 10)} <= set(numbered)
    assert "dedicated executive leader" in numbered["1"].text
    assert "Research and Practice Collaborative" in numbered["9"].text


def test_table_rows_carry_their_header():
    _, chunks = chunk_document("city-of-london-esc-feasibility-study.txt")
    tables = [c for c in chunks if c.kind == "table"]
    income = next(c for c in tables if "Total income" in c.text)
    total_row = next(line for line in income.text.splitlines() if "Total income" in line)
    assert total_row == (
        "Income Stream: Total income; Year 1: £500,000; Year 2: £700,000; Year 3: £1,000,000"
    )
    interviewees = " ".join(c.text for c in tables if "Full Name" in c.text)
    assert "Full Name: Sean Gregory; Organisation: Barbican" in interviewees


def test_key_value_tables_render_as_label_value_pairs():
    rows = render_table(["Financial Return on Investment\tHigh", "Demand\tMedium"])
    assert [text for _, text in rows] == ["Financial Return on Investment: High", "Demand: Medium"]
    single = render_table(["Where\tOntario, CA\tWhen\t2005 - 2019\tScale\t3000 Leaders"])
    assert single[0][1] == "Where: Ontario, CA; When: 2005 - 2019; Scale: 3000 Leaders"


def test_list_intro_stays_with_its_items_and_sections_nest():
    _, chunks = chunk_document("city-of-london-mid-term-review.txt")
    methods = next(c for c in chunks if "Our methods consisted of:" in c.text)
    assert "Eight confidential interviews with 11 key strategy partners" in methods.text
    apprenticeships = next(c for c in chunks if "apprenticeships offer" in c.text)
    assert apprenticeships.section_path == ["Programmes and impact", "Main findings"]


def test_chunker_rejects_a_tiny_limit():
    with pytest.raises(ValueError):
        StructuredChunker(50)
