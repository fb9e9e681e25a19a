"""Ingest wording is profile data or a general rule, never one seed document's (issue 13).

The roles a quote's attribution line names and the markup to strip come from the corpus
profile, so a deployment adds its own in ``profile.yaml``; datelines, slide fragments and
look-alike letters are rules about line shape and script that hold for any council's text.
The corpus-wide checks run on the seed documents and on the held-out council documents.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.core.models import DocumentMeta, SourceDocument
from assistant.core.normalise import normalise_text
from assistant.core.profile import load_profile, profile_for
from ingest.attribution import Attribution
from ingest.blocks import LineWording, parse_blocks
from ingest.structured_chunker import StructuredChunker
from tests.conftest import CORPUS
from tests.unit.test_chunking import BOTH_CORPORA, chunk_document

QUOTE = '"The sessions gave our young people a reason to come back every single week."'


def _profile_folder(tmp_path: Path, text: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "profile.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _chunks(text: str, attribution: Attribution | None = None):
    text = normalise_text(text)
    meta = DocumentMeta(doc_id="doc", title="Untitled")
    document = SourceDocument(meta=meta, text=text, content_hash=hashlib.sha256(b"x").hexdigest())
    return StructuredChunker(1200, attribution).split(document)


def test_the_default_profile_has_general_roles_and_markup_and_the_seed_adds_its_own():
    default = load_profile()
    assert {"partner", "headteacher", "councillor"} <= set(default.speaker_roles)
    assert {"**", "__", "<u>", "</u>"} <= set(default.markup)
    assert "^{*}" not in default.markup  # one seed converter's footnote marker is seed data
    assert "^{*}" in profile_for(CORPUS).markup


def test_a_deployment_names_its_own_speaker_roles(tmp_path):
    text = f"{QUOTE}\n\nPark ranger\n"
    assert _chunks(text)[0].speaker is None  # not a default role
    folder = _profile_folder(tmp_path, "speaker_roles: [park ranger]\n")
    attribution = Attribution.from_profile(profile_for(folder))
    quote = _chunks(text, attribution)[0]
    assert quote.kind == "quote" and quote.speaker == "Park ranger"


def test_a_deployment_names_the_markup_its_converter_leaves(tmp_path):
    text = "Our priorities\n\nWe will {++widen++} access to adult learning in every ward.\n"
    folder = _profile_folder(tmp_path, 'markup: ["{++", "++}"]\n')
    attribution = Attribution.from_profile(profile_for(folder))
    assert "{++" in _chunks(text)[0].text
    chunk = _chunks(text, attribution)[0]
    assert chunk.text == "We will widen access to adult learning in every ward."
    assert chunk.start == text.index("We will")


def test_editing_the_ingest_wording_changes_the_pipeline_signature(tmp_path):
    base = Attribution.from_profile(load_profile()).signature
    roles = profile_for(_profile_folder(tmp_path / "a", "speaker_roles: [park ranger]\n"))
    markup = profile_for(_profile_folder(tmp_path / "b", 'markup: ["~~"]\n'))
    signatures = {base, Attribution.from_profile(roles).signature}
    signatures.add(Attribution.from_profile(markup).signature)
    assert len(signatures) == 3


@pytest.mark.parametrize("path", BOTH_CORPORA)
def test_no_passage_keeps_the_markup_its_profile_strips(path):
    _, chunks = chunk_document(path)
    markup = profile_for(path.parent).markup
    for chunk in chunks:
        if chunk.kind != "table":
            assert not [m for m in markup if m in chunk.text], chunk.text[:200]


@pytest.mark.parametrize(
    "line",
    [
        "Ruth Lupton and Lorna Unwin, November 2018",
        "Report of the Director of Children's Services, 12 March 2024",
        "Policy and Performance Team, Spring 2019",
        "Scrutiny Panel, 3rd June 2025",
    ],
)
def test_a_dateline_is_never_a_heading(line):
    blocks = parse_blocks(f"{line}\n\nThe council will widen access to learning for adults.\n")
    assert blocks[0].kind == "paragraph"


@pytest.mark.parametrize(
    "line", ["Skills and Talent Strategy 2025-2030", "Priorities for 2025", "Recommendation 3"]
)
def test_a_heading_with_a_year_stays_a_heading(line):
    blocks = parse_blocks(f"{line}\n\nThe council will widen access to learning for adults.\n")
    assert blocks[0].kind == "heading"


def test_a_short_line_after_a_passage_titles_the_slide_fragments_under_it():
    passage = "Partners told us that learning outside school matters " * 2
    text = f"{passage.strip()}.\n\nWhat young people said\n\nConfidence\n\nBelonging\n\nSkills\n"
    kinds = [(b.kind, b.text) for b in parse_blocks(text, LineWording.from_profile(load_profile()))]
    assert kinds[1] == ("heading", "What young people said")
    assert kinds[2] == ("fragments", "Confidence\nBelonging\nSkills")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Location\tTitle\tТуре\tTimeframe", "Location\tTitle\tType\tTimeframe"),  # Cyrillic
        ("Pedagogical Innovation\tΥ", "Pedagogical Innovation\tY"),  # Greek capital upsilon
        ("Туре\n\nThe table lists each programme.", "Type\n\nThe table lists each programme."),
        ("Сafé opening hours", "Café opening hours"),
        ("Привіт! Курси англійської мови", "Привіт! Курси англійської мови"),  # Ukrainian
        ("Сор\n\nПривіт, як справи?", "Сор\n\nПривіт, як справи?"),  # a Cyrillic document
        ("Learn English: Курси для дорослих", "Learn English: Курси для дорослих"),
        ("Κατάλογος Ο", "Κατάλογος Ο"),  # Greek text keeps its letters
    ],
)
def test_look_alike_letters_are_latin_only_in_latin_text(raw, expected):
    assert normalise_text(raw) == expected + "\n"
