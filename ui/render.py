"""HTML and Markdown rendering of answers, citation cards and the source viewer.

Pure functions of the service's models, so what a reader sees can be unit-tested without a
browser. Every piece of document text is HTML-escaped here: passages come from uploaded files
and must never be able to inject markup into the page.

Citation references follow one convention: ``[n]`` in an answer becomes a link to
``#cite-<key>-<n>``, the id of the matching citation card; ``key`` tells apart the answers on one
page (``c0``, ``c1`` … for chat turns, ``k0`` … for compare columns). The page script in
``ui/assets.py`` scrolls to and highlights the card; buttons carrying ``data-open-chunk`` open
the passage in the source viewer.
"""

from __future__ import annotations

import re
from html import escape

from assistant.core.models import Answer, Citation, DocumentMeta

_REF = re.compile(r"\[(\d+)\]")
ABSTAIN_LABEL = "No answer in the documents"


def card_id(key: str, n: int) -> str:
    return f"cite-{key}-{n}"


def linkify_refs(text: str, key: str, citations: list[Citation]) -> str:
    """Escape ``text`` and turn each ``[n]`` that names a known citation into a card link."""
    known = {c.n: c for c in citations}

    def link(match: re.Match[str]) -> str:
        citation = known.get(int(match.group(1)))
        if citation is None:
            return match.group(0)
        label = escape(f"Citation {citation.n}: {citation.title}", quote=True)
        return (
            f'<a class="sa-ref" href="#{card_id(key, citation.n)}" aria-label="{label}">'
            f"[{citation.n}]</a>"
        )

    return _REF.sub(link, escape(text, quote=False))


def highlight(text: str, start: int | None, end: int | None) -> str:
    """Escape a passage and wrap exactly ``text[start:end]`` (the supporting sentence) in <mark>."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return escape(text, quote=False)
    return (
        escape(text[:start], quote=False)
        + '<mark class="sa-support">'
        + escape(text[start:end], quote=False)
        + "</mark>"
        + escape(text[end:], quote=False)
    )


def _where(citation: Citation) -> str:
    parts = [citation.section or "Start of document"]
    if citation.page:
        parts.append(f"p. {citation.page}")
    return " · ".join(parts)


def _paragraphs(text: str, key: str, citations: list[Citation]) -> str:
    """Answer paragraphs as <p> elements; no blank lines, so Markdown leaves the HTML alone."""
    blocks = [p for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{linkify_refs(p.strip(), key, citations)}</p>" for p in blocks)


def answer_html(answer: Answer, key: str) -> str:
    """The answer as shown in the chat: cited paragraphs and a compact numbered source list."""
    body = _paragraphs(answer.answer, key, answer.citations)
    if answer.abstained:
        body = f'<div class="sa-abstain" role="note"><strong>{ABSTAIN_LABEL}</strong>{body}</div>'
    if answer.rewritten_question:
        body += (
            '<p class="sa-note">Read as a follow-up: '
            f"<em>{escape(answer.rewritten_question, quote=False)}</em></p>"
        )
    if answer.notice:
        body += f'<p class="sa-note">{escape(answer.notice, quote=False)}</p>'
    if answer.citations:
        heading = "Closest passages" if answer.abstained else "Sources"
        items = "".join(
            f'<li><a class="sa-src" href="#{card_id(key, c.n)}">[{c.n}] '
            f"{escape(c.title, quote=False)}</a> — {escape(_where(c), quote=False)}</li>"
            for c in answer.citations
        )
        body += f'<div class="sa-sources"><span>{heading}:</span><ul>{items}</ul></div>'
    return f'<div class="sa-answer">{body}</div>'


def question_html(question: str) -> str:
    """The user's question as escaped HTML (a raw HTML block, so no Markdown surprises)."""
    return f'<p class="sa-question">{escape(question, quote=False)}</p>'


def pending_html(text: str) -> str:
    """Answer text while it is still streaming in (links are added once it is complete)."""
    return f'<div class="sa-answer sa-pending">{_paragraphs(text or "…", "", [])}</div>'


def citation_card(citation: Citation, key: str) -> str:
    """One citation: where it is, the passage with the supporting sentence marked, who said it."""
    meta = [f"<span>{escape(_where(citation), quote=False)}</span>"]
    if citation.speaker:
        meta.append(
            f'<span class="sa-speaker">Said by: {escape(citation.speaker, quote=False)}</span>'
        )
    if citation.kind not in ("text", "heading"):
        meta.append(f'<span class="sa-badge">{escape(citation.kind, quote=False)}</span>')
    span = ""
    if citation.sentence_start is not None and citation.sentence_end is not None:
        span = f' data-span="{citation.sentence_start}-{citation.sentence_end}"'
    return (
        f'<article class="sa-card" id="{card_id(key, citation.n)}" tabindex="-1" '
        f'aria-label="Citation {citation.n}">'
        f'<header><span class="sa-num">[{citation.n}]</span> '
        f'<span class="sa-title">{escape(citation.title, quote=False)}</span></header>'
        f'<div class="sa-meta">{"".join(meta)}</div>'
        f'<blockquote class="sa-passage">'
        f"{highlight(citation.text, citation.sentence_start, citation.sentence_end)}</blockquote>"
        f'<button type="button" class="sa-open" data-open-chunk="{escape(citation.chunk_id)}"'
        f"{span}>Show in document</button>"
        "</article>"
    )


def copy_control(text_id: str, markdown: str) -> str:
    """A copy-as-Markdown button with its Markdown kept in a hidden textarea on the page."""
    return (
        f'<button type="button" class="sa-copy" data-copy-md="{text_id}">Copy as Markdown</button>'
        f'<span class="sa-copy-status" role="status" aria-live="polite"></span>'
        f'<textarea id="{text_id}" class="sa-md" hidden readonly aria-label="Answer as Markdown">'
        f"{escape(markdown, quote=False)}</textarea>"
    )


def answer_markdown(answer: Answer) -> str:
    """Answer plus a numbered source list, so a pasted answer keeps its citations."""
    lines = [f"**Question:** {answer.question}", ""]
    if answer.abstained:
        lines += [f"**{ABSTAIN_LABEL}.** {answer.answer}", ""]
    else:
        lines += [answer.answer, ""]
    if answer.citations:
        lines += ["**Closest passages**" if answer.abstained else "**Sources**", ""]
        for c in answer.citations:
            quote = ""
            if c.sentence_start is not None and c.sentence_end is not None:
                quote = " — “" + " ".join(c.text[c.sentence_start : c.sentence_end].split()) + "”"
            lines.append(f"{c.n}. *{c.title}*, {_where(c)}{quote}")
    return "\n".join(lines).rstrip() + "\n"


def turn_citations(answer: Answer, key: str, title: str, open_: bool) -> str:
    """Citation cards of one answer, in a disclosure headed by its question."""
    cards = "".join(citation_card(c, key) for c in answer.citations) or (
        '<p class="sa-empty">No passages matched.</p>'
    )
    label = "closest passages" if answer.abstained else "citations"
    return (
        f'<details class="sa-turn"{" open" if open_ else ""}>'
        f"<summary>{escape(title, quote=False)} <small>({len(answer.citations)} {label})</small>"
        "</summary>"
        f'<div class="sa-turn-tools">{copy_control(f"md-{key}", answer_markdown(answer))}</div>'
        f"{cards}</details>"
    )


def citations_panel(answers: list[Answer]) -> str:
    """Cards for every answer in the conversation, newest first and open."""
    if not answers:
        return (
            '<div class="sa-panel-empty"><h3>Citations</h3><p>Ask a question: every numbered '
            "reference in the answer links to a card here showing the passage, with the "
            "supporting sentence highlighted.</p></div>"
        )
    parts = [
        turn_citations(a, f"c{i}", f"Q{i + 1}: {a.question}", open_=i == len(answers) - 1)
        for i, a in reversed(list(enumerate(answers)))
    ]
    return '<div class="sa-panel"><h3>Citations</h3>' + "".join(parts) + "</div>"


def meta_line(meta: DocumentMeta) -> str:
    parts = [meta.organisation, meta.place, meta.date, meta.kind]
    return " · ".join(escape(p, quote=False) for p in parts if p)


def message(text: str, kind: str = "info") -> str:
    """A status line; errors are announced to screen readers."""
    role = "alert" if kind in ("error", "warning") else "status"
    return f'<div class="sa-msg sa-msg-{kind}" role="{role}">{escape(text, quote=False)}</div>'
