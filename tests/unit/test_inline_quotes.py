"""A quote whose speaker is on its own line ('"…" — Youth worker', 'A tutor said: "…"') is a
quote with that speaker; the answer names the speaker once, outside the quoted words."""

from __future__ import annotations

from assistant.answering.composition import render_sentence
from assistant.core.models import Chunk, DocumentMeta, Passage
from assistant.core.sentences import split_sentences
from ingest.blocks import parse_blocks

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
    chunk = Chunk(
        chunk_id="d1:q", doc_id="d1", ordinal=0, text=text, start=0, end=len(text),
        sentence_spans=split_sentences(text), kind="quote", speaker=speaker,
    )  # fmt: skip
    return Passage(chunk=chunk, document=DocumentMeta(doc_id="d1", title="Consultation"))


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
