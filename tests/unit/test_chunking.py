"""Structure-aware chunking of the real seed documents, and of a second corpus.

The corpus-wide properties (offsets, nothing lost, no markup left) run on the seed documents
and on the held-out council documents (eval/heldout/corpus: other councils, other formats,
no manifest), each chunked with its own folder's corpus profile as the pipeline does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.core.models import SourceDocument
from assistant.core.normalise import fold_for_match
from assistant.core.profile import profile_for
from assistant.core.settings import Settings
from ingest.archives import ArchiveLimits
from ingest.attribution import Attribution
from ingest.blocks import LineWording, parse_blocks
from ingest.loaders import SUPPORTED_SUFFIXES, load_bytes
from ingest.manifest import build_meta, load_manifest
from ingest.structured_chunker import StructuredChunker
from ingest.tables import render_table
from tests.conftest import CORPUS

HELDOUT = CORPUS.parent / "eval" / "heldout" / "corpus"
BOTH_CORPORA = [
    pytest.param(folder / p.name, id=p.name)
    for folder in (CORPUS, HELDOUT)
    for p in sorted(folder.iterdir())
    if p.suffix in SUPPORTED_SUFFIXES
]


def chunk_document(name: str | Path, max_chars: int | None = None):
    """Load, normalise and chunk one document as the pipeline does, with its folder's profile."""
    path = name if isinstance(name, Path) else CORPUS / name
    data = path.read_bytes()
    text = load_bytes(data, path.suffix, path.name, ArchiveLimits.from_settings(Settings())).text
    meta = build_meta(load_manifest(path.parent).get(path.name), path.name, text, str(path))
    doc = SourceDocument(meta=meta, text=text, content_hash=hashlib.sha256(data).hexdigest())
    attribution = Attribution.from_profile(profile_for(path.parent))
    chunker = StructuredChunker(max_chars or Settings().chunk_max_chars, attribution)
    return doc, chunker.split(doc)


def _wording(path: Path) -> LineWording:
    return LineWording.from_profile(profile_for(path.parent))


@pytest.mark.parametrize("path", BOTH_CORPORA)
def test_offsets_point_into_the_source_and_sentences_into_the_chunk(path):
    doc, chunks = chunk_document(path)
    assert chunks, "every document yields passages"
    wording = _wording(path)
    for chunk in chunks:
        source = fold_for_match(wording.strip(doc.text[chunk.start : chunk.end]))
        assert 0 <= chunk.start < chunk.end <= len(doc.text)
        assert len(chunk.text) <= Settings().chunk_max_chars or chunk.kind == "table"
        for start, end in chunk.sentence_spans:
            sentence = chunk.text[start:end]
            assert sentence.strip()
            if chunk.kind != "table":  # table rows are re-rendered with their headers
                assert fold_for_match(sentence.lstrip("- ")) in source


@pytest.mark.parametrize("path", BOTH_CORPORA)
def test_no_text_is_lost_except_the_title_headings_and_table_headers(path):
    doc, chunks = chunk_document(path)
    covered = bytearray(len(doc.text))
    for chunk in chunks:
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
    for block in parse_blocks(doc.text, _wording(path)):
        if block.kind == "heading":
            covered[block.start : block.end] = b"\x01" * (block.end - block.start)
    lost = "".join(ch if not covered[i] else "\n" for i, ch in enumerate(doc.text))
    lost_lines = [line.strip() for line in lost.split("\n") if len(line.strip()) > 40]
    title = fold_for_match(doc.meta.title)
    # Only table header rows (their names live inside every rendered row) and a first line that
    # only repeats the title (kept as the document's title) may be uncovered.
    assert all("\t" in line or fold_for_match(line) == title for line in lost_lines), lost_lines


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
