"""Structure-aware chunking: sections, lists, tables, quotes and recommendations stay whole.

Rules, in order of precedence:
- a heading closes the current chunk and updates the section path;
- a quote with its attribution line is one chunk carrying the speaker;
- a table becomes chunks of whole rows, each row rendered with its column names;
- a numbered recommendation (``Recommendation 3`` and what follows, or a numbered item in a
  recommendations section) is one chunk tagged with its number;
- otherwise paragraphs and list items accumulate up to ``max_chars``; a paragraph ending with
  ':' stays with the list it introduces; an over-long block is cut at sentence boundaries.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from assistant.core.chunk_ids import make_chunk_id
from assistant.core.models import Chunk, SourceDocument
from assistant.core.sentences import split_sentences
from ingest.attribution import Attribution, default_attribution
from ingest.blocks import Block, LineWording, parse_blocks, recommendation_number
from ingest.boilerplate import is_link_furniture
from ingest.tables import render_table

_NUMBERED_ITEM = re.compile(r"^-?\s*(\d{1,2}|[A-H])[.)]\s+")
_MIN_FRAGMENT_CHARS = 40
# Bump when chunking output changes, so the next ingest re-chunks every document.
CHUNKER_VERSION = 4
_BLANK_RUNS = re.compile(r"\n\s*\n+")


@dataclass
class _Draft:
    start: int
    end: int
    kind: str
    text: str = ""
    speaker: str | None = None
    recommendation: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    row_starts: list[int] = field(default_factory=list)  # table rows: offset in the document
    blocks: int = 1


class StructuredChunker:
    """Cut a ``SourceDocument`` into ``Chunk`` objects with offsets and section paths."""

    def __init__(self, max_chars: int, attribution: Attribution | None = None) -> None:
        """``attribution`` carries the deployment's profile; its line wording is read too."""
        if max_chars < 200:
            raise ValueError("max_chars must be at least 200 so a paragraph can stand alone")
        self.max_chars = max_chars
        self.attribution = attribution or default_attribution()
        self.wording = LineWording.from_profile(self.attribution.profile)

    def split(self, document: SourceDocument) -> list[Chunk]:
        text = document.text
        blocks = parse_blocks(text, self.wording)
        for block in blocks:  # "Report (PDF 412 KB)", "view the record", "… there will be"
            if block.kind == "heading" and is_link_furniture(block.text):
                block.kind = "paragraph"
        blocks = self._drop_title(blocks, document.meta.title)
        repeated = Counter(b.text.casefold() for b in blocks if b.kind == "heading")
        path: list[tuple[int, str]] = []
        chunks: list[Chunk] = []
        pending: list[Block] = []
        recommendation: str | None = None

        def flush() -> None:
            for draft in self._assemble(text, pending, recommendation):
                chunks.append(self._to_chunk(document, draft, [h for _, h in path], len(chunks)))
            pending.clear()

        for block in blocks:
            if block.kind == "heading":
                flush()
                level = block.level
                if repeated[block.text.casefold()] > 1:
                    # A generic heading ("Main findings") belongs under the last distinct one.
                    anchors = [lvl for lvl, h in path if repeated[h.casefold()] == 1]
                    level = max(level, anchors[-1] + 1) if anchors else level
                while path and path[-1][0] >= level:
                    path.pop()
                path.append((level, block.text))
                number = recommendation_number(block.text)
                if (
                    number == ""
                    and len(path) > 1
                    and block.text.rstrip(".").lower() == ("recommendation")
                ):
                    number = path[-2][1]  # "Recommendation." under a topic: name the topic
                recommendation = number or (block.text if number == "" else None)
                continue
            if block.kind in ("quote", "table", "fragments"):
                flush()
                pending.append(block)
                flush()
                continue
            pending.append(block)
        flush()
        if not chunks and text.strip():  # e.g. a one-line note read as a lone heading
            start = len(text) - len(text.lstrip())
            whole = _Draft(start, len(text.rstrip()), "text")
            chunks.append(self._to_chunk(document, whole, [], 0))
        return chunks

    @staticmethod
    def _drop_title(blocks: list[Block], title: str) -> list[Block]:
        """A first line that only repeats the title is metadata, not a passage."""
        if blocks and blocks[0].kind in ("heading", "paragraph") and len(blocks[0].text) <= 250:
            first = set(re.findall(r"\w+", blocks[0].text.casefold()))
            wanted = set(re.findall(r"\w+", title.casefold()))
            if first and first <= wanted:
                return blocks[1:]
        return blocks

    def _assemble(self, text: str, blocks: list[Block], recommendation: str | None):
        if not blocks:
            return []
        if blocks[0].kind == "table":
            return list(self._table_drafts(blocks[0]))
        if blocks[0].kind in ("quote", "fragments"):
            block = blocks[0]
            if block.kind == "fragments" and block.end - block.start < _MIN_FRAGMENT_CHARS:
                return []  # slide residue such as "What?" carries nothing to retrieve
            return [_Draft(block.start, block.end, block.kind, speaker=block.speaker)]
        in_recommendations = recommendation is not None
        drafts: list[_Draft] = []
        current: _Draft | None = None
        number = recommendation
        for block in blocks:
            item_number = _numbered(block) if in_recommendations else None
            size = block.end - block.start
            # A lone intro line ("… consisted of:") may overflow to take its first item along.
            intro_open = (
                current is not None
                and current.blocks == 1
                and text[current.start : current.end].rstrip().endswith(":")
            )
            overflow = current is not None and current.end - current.start + size > self.max_chars
            if current is not None and (item_number is not None or (overflow and not intro_open)):
                drafts.append(current)
                current = None
            if item_number is not None:
                number = item_number
            if size > self.max_chars:
                drafts.extend(self._split_long(text, block))
                continue
            if current is None:
                current = _Draft(block.start, block.end, _kind_of(block))
                current.recommendation = number
            else:
                current.end = block.end
                current.blocks += 1
                if current.kind != _kind_of(block):
                    current.kind = "text"
        if current is not None:
            drafts.append(current)
        if in_recommendations:
            for draft in drafts:
                draft.kind = "recommendation"
                draft.recommendation = draft.recommendation or recommendation
        return [
            d for d in drafts if d.kind != "fragments" or d.end - d.start >= _MIN_FRAGMENT_CHARS
        ]

    def _split_long(self, text: str, block: Block) -> list[_Draft]:
        spans = split_sentences(text[block.start : block.end], block.start)
        drafts: list[_Draft] = []
        current: _Draft | None = None
        for start, end in spans:
            if current is not None and end - current.start > self.max_chars:
                drafts.append(current)
                current = None
            if current is None:
                current = _Draft(start, end, _kind_of(block))
            current.end = end
        if current is not None:
            drafts.append(current)
        return drafts

    def _table_drafts(self, block: Block):
        rows = render_table(block.lines)
        line_starts = []
        position = block.start
        for line in block.lines:
            line_starts.append(position)
            position += len(line) + 1
        current: _Draft | None = None
        for line_index, rendered in rows:
            row_start = line_starts[line_index]
            row_end = row_start + len(block.lines[line_index])
            if current is not None and len(current.text) + len(rendered) + 1 > self.max_chars:
                yield current
                current = None
            if current is None:
                current = _Draft(row_start, row_end, "table")
            else:
                current.text += "\n"
            current.spans.append((len(current.text), len(current.text) + len(rendered)))
            current.row_starts.append(row_start)
            current.text += rendered
            current.end = row_end
        if current is not None:
            yield current

    def _to_chunk(
        self, document: SourceDocument, draft: _Draft, path: list[str], ordinal: int
    ) -> Chunk:
        if draft.kind == "table":
            body, spans = draft.text, draft.spans
            origins = list(draft.row_starts)
        else:
            body = clean_passage(document.text[draft.start : draft.end], self.wording)
            spans = split_sentences(body)
            origins = source_offsets(document.text, draft.start, draft.end, spans, self.wording)
        pages = [document.page_at(o) or 1 for o in origins] if document.page_starts else []
        return Chunk(
            chunk_id=make_chunk_id(document.meta.doc_id, document.content_hash, ordinal),
            doc_id=document.meta.doc_id,
            ordinal=ordinal,
            text=body,
            section_path=path,
            start=draft.start,
            end=draft.end,
            page=pages[0] if pages else document.page_at(draft.start),
            page_end=document.page_at(max(draft.start, draft.end - 1)),
            sentence_pages=pages,
            kind=draft.kind,
            speaker=draft.speaker,
            recommendation=draft.recommendation,
            sentence_spans=spans,
            sentence_attributions=[self.attribution.of(body[a:b]) for a, b in spans]
            if draft.kind != "quote"
            else [],
        )


def clean_passage(raw: str, wording: LineWording) -> str:
    """Display text of a passage: markup removed, blank-line runs folded, lines trimmed."""
    lines = [wording.strip(line) for line in _BLANK_RUNS.sub("\n", raw).split("\n")]
    return "\n".join(line for line in lines if line)


def source_offsets(
    text: str, start: int, end: int, spans: list[tuple[int, int]], wording: LineWording
) -> list[int]:
    """Where in the document text each sentence of ``clean_passage(text[start:end])`` begins.

    The cleaned passage keeps the source's non-blank lines in order, each trimmed, so a sentence
    start maps to its line's start in the source plus its place within the line.
    """
    anchors: list[tuple[int, int]] = []  # (start in the cleaned text, start in the source)
    cleaned_at = 0
    position = start
    for line in text[start:end].split("\n"):
        cleaned = wording.strip(line)
        if cleaned:
            anchors.append((cleaned_at, position + len(line) - len(line.lstrip())))
            cleaned_at += len(cleaned) + 1
        position += len(line) + 1
    offsets = []
    for sentence_start, _ in spans:
        base = next(((c, s) for c, s in reversed(anchors) if c <= sentence_start), (0, start))
        offsets.append(min(base[1] + sentence_start - base[0], max(start, end - 1)))
    return offsets


def _numbered(block: Block) -> str | None:
    if block.kind != "item":
        return None
    match = _NUMBERED_ITEM.match(block.lines[0])
    return match.group(1) if match else None


def _kind_of(block: Block) -> str:
    return {"item": "list", "fragments": "fragments"}.get(block.kind, "text")
