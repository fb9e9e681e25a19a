"""HTML for the browsing views: source viewer, document outline, recommendations, compare.

Kept apart from ``ui/render.py`` (answers and citations) so each module stays small; the same
escaping rule applies: every string that comes from a document is escaped here.
"""

from __future__ import annotations

from html import escape

from assistant.core.models import Answer, DocumentMeta, Passage
from assistant.core.views import DocumentDetail, Health, PassageView
from ui.render import (
    ABSTAIN_LABEL,
    answer_markdown,
    citation_card,
    copy_control,
    highlight,
    linkify_refs,
    meta_line,
)

VIEWER_EMPTY = (
    '<div class="sa-viewer sa-viewer-empty"><h3>Source viewer</h3><p>Choose “Show in document” '
    "on a citation, a recommendation or a section of the outline to read the passage in the "
    "context of its document.</p></div>"
)


def _open_button(chunk_id: str, label: str, span: str = "", extra: str = "") -> str:
    data_span = f' data-span="{escape(span)}"' if span else ""
    return (
        f'<button type="button" class="sa-open {extra}" data-open-chunk="{escape(chunk_id)}"'
        f"{data_span}>{escape(label, quote=False)}</button>"
    )


def source_view(view: PassageView, span: tuple[int, int] | None = None) -> str:
    """The passage in its document: context before and after, the passage marked, neighbours.

    ``span`` is the supporting sentence inside the passage when opened from a citation.
    """
    chunk, meta = view.chunk, view.document
    crumbs = "".join(f"<li>{escape(s, quote=False)}</li>" for s in chunk.section_path) or (
        "<li>Start of document</li>"
    )
    facts = [f"Passage {chunk.ordinal + 1}", f"characters {chunk.start}–{chunk.end}"]
    if chunk.page:
        facts.insert(0, f"page {chunk.page}")
    if chunk.speaker:
        facts.append(f"said by {chunk.speaker}")
    if chunk.recommendation:
        facts.append(f"recommendation {chunk.recommendation}")
    start, end = span if span else (None, None)
    before = escape(view.context_before, quote=False)
    after = escape(view.context_after, quote=False)
    nav = [
        _open_button(view.previous_id, "← Previous passage")
        if view.previous_id
        else '<button type="button" class="sa-open" disabled>← Previous passage</button>',
        _open_button(view.next_id, "Next passage →")
        if view.next_id
        else '<button type="button" class="sa-open" disabled>Next passage →</button>',
    ]
    return (
        f'<div class="sa-viewer" data-chunk="{escape(chunk.chunk_id)}">'
        f"<h3>{escape(meta.title, quote=False)}</h3>"
        f'<p class="sa-meta">{meta_line(meta)}</p>'
        f'<nav aria-label="Section"><ol class="sa-crumbs">{crumbs}</ol></nav>'
        f'<p class="sa-facts">{escape(" · ".join(facts), quote=False)}</p>'
        '<div class="sa-doc">'
        f'<span class="sa-context">{"…" if view.context_before else ""}{before}</span>'
        f'<span class="sa-focus" id="sa-focus" tabindex="-1">{highlight(chunk.text, start, end)}'
        "</span>"
        f'<span class="sa-context">{after}{"…" if view.context_after else ""}</span>'
        "</div>"
        f'<div class="sa-nav">{"".join(nav)}</div></div>'
    )


def document_detail(detail: DocumentDetail) -> str:
    """Summary and clickable outline of sections of one document."""
    meta = detail.meta
    summary = f"<p>{escape(meta.summary, quote=False)}</p>" if meta.summary else ""
    rows = "".join(
        f"<li>{_open_button(s.first_chunk_id, s.section, extra='sa-link')} "
        f"<small>{s.chunk_count} passage{'s' if s.chunk_count != 1 else ''}</small></li>"
        for s in detail.outline
    )
    return (
        f'<div class="sa-detail"><h3>{escape(meta.title, quote=False)}</h3>'
        f'<p class="sa-meta">{meta_line(meta)} · {detail.chunk_count} passages · '
        f"{detail.char_count:,} characters</p>{summary}"
        f'<h4>Outline</h4><ol class="sa-outline">{rows}</ol></div>'
    )


def recommendations(passages: list[Passage]) -> str:
    """Every recommendation passage, grouped by document, each opening its source."""
    if not passages:
        return '<p class="sa-empty">No recommendation passages in the library.</p>'
    groups: dict[str, list[Passage]] = {}
    for passage in passages:
        groups.setdefault(passage.document.doc_id, []).append(passage)
    parts = [f'<p class="sa-meta">{len(passages)} recommendations in {len(groups)} documents</p>']
    for items in groups.values():
        meta = items[0].document
        cards = "".join(
            '<li class="sa-rec">'
            f'<div class="sa-meta">{escape(p.chunk.section or "", quote=False)}</div>'
            f'<div class="sa-passage">{escape(p.chunk.text, quote=False)}</div>'
            f"{_open_button(p.chunk.chunk_id, 'Show in document')}</li>"
            for p in items
        )
        parts.append(
            f'<section class="sa-rec-group"><h3>{escape(meta.display_name, quote=False)}</h3>'
            f'<p class="sa-meta">{meta_line(meta)}</p><ol class="sa-recs">{cards}</ol></section>'
        )
    return '<div class="sa-recommendations">' + "".join(parts) + "</div>"


def compare_columns(results: dict[str, Answer], metas: dict[str, DocumentMeta]) -> str:
    """One column per document: its answer with [n] links and its own citation cards."""
    columns = []
    for index, (doc_id, answer) in enumerate(results.items()):
        key = f"k{index}"
        meta = metas.get(doc_id)
        name = meta.display_name if meta else doc_id
        paragraphs = "".join(
            f"<p>{linkify_refs(p.strip(), key, answer.citations)}</p>"
            for p in answer.answer.split("\n\n")
            if p.strip()
        )
        if answer.abstained:
            paragraphs = (
                f'<div class="sa-abstain" role="note"><strong>{ABSTAIN_LABEL}</strong>'
                f"{paragraphs}</div>"
            )
        cards = "".join(citation_card(c, key) for c in answer.citations)
        label = "Closest passages" if answer.abstained else "Citations"
        columns.append(
            f'<section class="sa-col" aria-label="{escape(name)}" data-doc="{escape(doc_id)}">'
            f"<h3>{escape(name, quote=False)}</h3>"
            f'<p class="sa-meta">{meta_line(meta) if meta else ""}</p>'
            f'<div class="sa-answer">{paragraphs}</div>'
            f'<div class="sa-turn-tools">{copy_control(f"md-{key}", answer_markdown(answer))}</div>'
            f'<details class="sa-turn"><summary>{label} ({len(answer.citations)})</summary>'
            f"{cards}</details></section>"
        )
    return '<div class="sa-compare">' + "".join(columns) + "</div>"


def header(health: Health) -> str:
    """Title bar with the size of the index, so staff see an upload land."""
    return (
        '<header class="sa-header"><h1>Strategy Assistant</h1>'
        f'<p class="sa-stats">{health.documents} documents · '
        f"{health.chunks} passages · every answer cited to its source</p></header>"
    )
