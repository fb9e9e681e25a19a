"""How an extractive answer reads: lead-ins naming the document, sentences as quoted, citations."""

from __future__ import annotations

import re

from assistant.core.models import Citation, DocumentMeta, Passage
from assistant.core.profile import CorpusProfile
from assistant.core.quote_lines import SPEAKER_AFTER, SPEAKER_BEFORE


def document_label(document: DocumentMeta) -> str | None:
    """The document's short name without its place or organisation in front
    ("City of London mid-term review" -> "mid-term review"), or None without a short name."""
    label = (document.short_name or "").strip()
    if not label:
        return None
    for prefix in sorted(
        {p for p in (document.organisation, document.place) if p}, key=len, reverse=True
    ):
        if label.casefold().startswith(prefix.casefold() + " "):
            return label[len(prefix) :].strip()
    return label


def possessive(name: str) -> str:
    return f"{name}’" if name.endswith("s") else f"{name}’s"


def lead_in(document: DocumentMeta, profile: CorpusProfile) -> str:
    """Who is speaking, by organisation and document: "Durham County Council’s minutes
    “Children and Young People’s Scrutiny Committee” record:" (wording by document kind from
    the corpus profile)."""
    wording = profile.lead_in_for(document.kind)
    label = document_label(document)
    owner = document.organisation or document.place
    if owner:
        if label and label != document.short_name:
            return f"{possessive(owner)} {label} {wording.verb}:"
        named = f"{label}" if label else f"{wording.noun} “{_short_title(document.title)}”"
        return f"{possessive(owner)} {named} {wording.verb}:"
    if label:
        return f"The {label} {wording.verb}:"
    return f"The {wording.noun} “{_short_title(document.title)}” {wording.verb}:"


def _short_title(title: str, limit: int = 90) -> str:
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0]
    return re.sub(r"[,;:–-]+$", "", cut) + "…"


# the speaker written on the quote's own line ('A tutor said: "…"', '"…" — Youth worker'): the
# answer names the speaker itself, so these are dropped from the quoted words
_INLINE_LEAD = re.compile(rf"^{SPEAKER_BEFORE}(?=[“\"])")
_INLINE_TAIL = re.compile(rf"(?<=[”\"]){SPEAKER_AFTER}$")
MAX_TABLE_HEADING = 80  # longer is a paragraph taken for a heading, not a table's name


def render_sentence(passage: Passage, span: tuple[int, int], label: bool = True) -> str:
    """A passage sentence as it reads in an answer: bullets dropped, speakers and labels kept
    (a recommendation's number once, on the first sentence quoted from it: ``label``)."""
    chunk = passage.chunk
    text = chunk.text[span[0] : span[1]].strip()
    if text.startswith(("- ", "• ", "* ")):
        text = text[2:].strip()
    if chunk.kind == "quote" and chunk.speaker:
        if text.casefold() == chunk.speaker.casefold():
            return f"({chunk.speaker})"
        quoted = _INLINE_TAIL.sub("", _INLINE_LEAD.sub("", text)).strip("\"'“”‘’ ")
        article = "An" if chunk.speaker[:1].lower() in "aeiou" else "A"
        return f"{article} {chunk.speaker[:1].lower() + chunk.speaker[1:]} said: “{quoted}”"
    if label and (heading := _table_heading(chunk, text)):
        return f"{heading}: {text}"
    if (
        label
        and chunk.kind == "recommendation"
        and chunk.recommendation
        and len(chunk.recommendation) <= 3
    ):
        number = chunk.recommendation.rstrip(".)")
        text = re.sub(rf"^\(?{re.escape(number)}[.):]\s*", "", text)  # "1) …" already numbered
        return f"Recommendation {number}: {text}"
    return text


def _table_heading(chunk, text: str) -> str | None:
    """The heading a table sits under, for one of its cells quoted alone ("Demand: Medium"
    says nothing until it reads "School Improvement: Demand: Medium"); None for a row that
    names itself (several cells) or a cell that already holds the heading."""
    if chunk.kind != "table" or not chunk.section_path or ";" in text or ": " not in text:
        return None
    heading = chunk.section_path[-1].strip().rstrip(".:")
    if not heading or len(heading) > MAX_TABLE_HEADING or heading.casefold() in text.casefold():
        return None
    return heading


def make_citation(n: int, passage: Passage, span: tuple[int, int] | None) -> Citation:
    chunk = passage.chunk
    return Citation(
        n=n,
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        title=passage.document.title,
        section=chunk.section,
        page=chunk.page_of(span),  # the cited sentence's own page (PDFs)
        start=chunk.start,
        end=chunk.end,
        text=chunk.text,
        score=round(float(passage.score), 4),
        sentence_start=span[0] if span else None,
        sentence_end=span[1] if span else None,
        speaker=chunk.attribution_at(span),
        kind=chunk.kind,
    )
