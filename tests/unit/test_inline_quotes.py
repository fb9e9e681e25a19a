"""A quote whose speaker is on its own line ('"…" — Youth worker', 'A tutor said: "…"') is a
quote with that speaker; the answer names the speaker once, outside the quoted words."""

from __future__ import annotations

from assistant.answering.composition import render_sentence
from assistant.core.models import DocumentMeta, Passage
from ingest.blocks import parse_blocks
from tests.passages import make_passage

TRAILING = (
    '"Most of the families we see have never been inside a library. They need a named person '
    'to ask." — Community worker'
)
LEADING = 'A college principal said: "The city needs one shared waiting list, not five of them."'


def test_a_trailing_or_leading_attribution_names_the_quotes_speaker():
    text = f"Partners were consulted in spring.\n\n{TRAILING}\n\n{LEADING}\n"
    quotes = [b for b in parse_blocks(text) if b.kind == "quote"]
    assert [q.speaker for q in quotes] == ["Community worker", "College principal"]
    assert [text[q.start : q.end] for q in quotes] == [TRAILING, LEADING]  # the whole line


def test_a_line_that_names_no_role_stays_a_paragraph():
    text = '"We will open three new hubs across the county by March next year." — Plan 2025\n'
    assert [b.kind for b in parse_blocks(text)] == ["paragraph"]


def _quote(text: str, speaker: str) -> Passage:
    meta = DocumentMeta(doc_id="d1", title="Consultation")
    return make_passage(text, meta, "d1:q", kind="quote", speaker=speaker)


def test_the_answer_quotes_the_words_and_names_the_speaker_once():
    passage = _quote(TRAILING, "Community worker")
    last = passage.chunk.sentence_spans[-1]
    assert render_sentence(passage, last) == (
        "A community worker said: “They need a named person to ask.”"
    )
    passage = _quote(LEADING, "College principal")
    assert render_sentence(passage, passage.chunk.sentence_spans[0]) == (
        "A college principal said: “The city needs one shared waiting list, not five of them.”"
    )
