"""How an extractive answer reads: lead-ins naming the document, sentences as quoted, citations."""

from __future__ import annotations

from assistant.core.models import Citation, Passage

_VERBS = {
    "review": "found",
    "survey": "found",
    "feasibility study": "concluded",
    "scrutiny report": "reports",
    "discussion paper": "argues",
}


def lead_in(document) -> str:
    name = document.short_name or f"“{document.title}”"
    article = "The " if document.short_name else ""
    verb = _VERBS.get((document.kind or "").lower(), "says")
    return f"{article}{name} {verb}:"


def render_sentence(passage: Passage, span: tuple[int, int]) -> str:
    """A passage sentence as it reads in an answer: bullets dropped, speakers and labels kept."""
    chunk = passage.chunk
    text = chunk.text[span[0] : span[1]].strip()
    if text.startswith(("- ", "• ", "* ")):
        text = text[2:].strip()
    if chunk.kind == "quote" and chunk.speaker:
        if text.casefold() == chunk.speaker.casefold():
            return f"({chunk.speaker})"
        quoted = text.strip("\"'“”‘’ ")
        article = "An" if chunk.speaker[:1].lower() in "aeiou" else "A"
        return f"{article} {chunk.speaker[:1].lower() + chunk.speaker[1:]} said: “{quoted}”"
    if chunk.kind == "recommendation" and chunk.recommendation and len(chunk.recommendation) <= 3:
        return f"Recommendation {chunk.recommendation.rstrip('.)')}: {text}"
    return text


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
