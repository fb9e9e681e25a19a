"""PDFs: the text of each page as it reads, with where each page starts.

- Running headers and footers go: a line (digits folded, so "Page 3 of 7" matches "Page 4 of 7")
  found in the top or bottom two lines of at least half the pages (two at least), and bare page
  numbers there.
- A word broken by a hyphen at a line end is joined ("develop-" + "ment").
- Lines are rejoined into paragraphs: a short line that ends a sentence ends its paragraph, a
  short line with no closing punctuation followed by more text is a heading on its own, a
  paragraph cut by a page break continues on the next page when that page starts mid-sentence.
- Tables: rows whose cells stand apart in the page's layout (pypdf's layout mode) become
  tab-separated rows, header row first, so the chunker renders each row with its column names.

``page_starts`` holds the offset where each page's text begins, so every sentence (and so every
citation) can be given its own page.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter

from assistant.core.errors import UnreadableDocumentError
from assistant.core.normalise import normalise_text
from ingest.boilerplate import is_page_number, line_key

_EDGE_LINES = 2
_HYPHENATED = re.compile(r"[A-Za-z]-$")
_SENTENCE_END = re.compile(r"[.!?:;…]['\"”’)]?$")
_BULLET = re.compile(r"^(?:[-•*▪◦✓]|\(?[a-z0-9]{1,3}[.)])\s")
_CELL_GAP = re.compile(r"\s{3,}")


def load_pdf(data: bytes, name: str) -> tuple[str, list[int]]:
    """``(text, page_starts)`` of a PDF; raises ``UnreadableDocumentError`` with what to do."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocumentError(f"{name}: the PDF is encrypted; save an open copy.")
        pages = [_page_lines(page) for page in reader.pages]
    except UnreadableDocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocumentError(f"{name}: corrupt or unreadable PDF ({exc}).") from exc
    pages = strip_running_lines(pages)
    return assemble(pages)


def _page_lines(page) -> list[str]:
    plain = normalise_text(page.extract_text() or "")
    lines = [" ".join(line.split()) for line in plain.split("\n")]
    lines = [line for line in lines if line]
    try:
        layout = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode is a refinement for tables; plain text is the page
        layout = ""
    return mark_table_rows(lines, layout)


def mark_table_rows(lines: list[str], layout: str) -> list[str]:
    """Replace plain lines that are table rows in the layout text by tab-separated cells."""
    rows: dict[str, str] = {}
    run: list[list[str]] = []

    def close() -> None:
        if len(run) >= 2 and _looks_tabular(run):
            for cells in run:
                rows[" ".join(" ".join(cells).split())] = "\t".join(cells)
        run.clear()

    for raw in layout.split("\n"):
        if not raw.strip():
            continue
        cells = [c.strip() for c in _CELL_GAP.split(raw.strip()) if c.strip()]
        if len(cells) >= 2:
            run.append(cells)
        else:
            close()
    close()
    return [rows.get(line, line) for line in lines]


def _looks_tabular(run: list[list[str]]) -> bool:
    widths = Counter(len(cells) for cells in run)
    columns, count = widths.most_common(1)[0]
    cells = [c for row in run for c in row]
    short = sum(len(c) for c in cells) / len(cells) <= 30
    return count >= 2 and count >= 0.6 * len(run) and (columns >= 3 or short)


def strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop running headers, footers and page numbers from the edges of each page."""
    if len(pages) < 2:
        return [[line for line in page if not _edge_number(page, line)] for page in pages]
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({line_key(line) for line in page[:_EDGE_LINES] + page[-_EDGE_LINES:]})
    needed = max(2, math.ceil(0.5 * len(pages)))
    running = {key for key, count in seen.items() if count >= needed}
    cleaned = []
    for page in pages:
        keep = list(page)
        for index in _edge_indexes(len(page)):
            line = page[index]
            if line_key(line) in running or is_page_number(line):
                keep[index] = None  # type: ignore[call-overload]
        cleaned.append([line for line in keep if line is not None])
    return cleaned


def _edge_number(page: list[str], line: str) -> bool:
    return is_page_number(line) and line in page[:1] + page[-1:] and len(page) > 1


def _edge_indexes(count: int) -> list[int]:
    top = range(min(_EDGE_LINES, count))
    bottom = range(max(count - _EDGE_LINES, 0), count)
    return sorted(set(top) | set(bottom))


def assemble(pages: list[list[str]]) -> tuple[str, list[int]]:
    """Join the pages' lines into paragraphs; the offset where each page begins."""
    lengths = sorted(len(line) for page in pages for line in page if "\t" not in line)
    width = lengths[int(0.9 * (len(lengths) - 1))] if lengths else 80
    text = ""
    starts: list[int] = []
    for page in pages:
        lines = _join_hyphenated(page)
        continues = bool(
            text
            and lines
            and not text.endswith("\n")
            and "\t" not in lines[0]
            and (lines[0][:1].islower() or text.endswith("-"))
        )
        if continues:
            if text.endswith("-") and _HYPHENATED.search(text):
                text = text[:-1]
            else:
                text += " "
        elif text and not text.endswith("\n\n"):
            text = text.rstrip("\n") + "\n\n"
        starts.append(len(text))
        text += _paragraphs(lines, width)
    return text.rstrip() + "\n", starts


def _join_hyphenated(lines: list[str]) -> list[str]:
    joined: list[str] = []
    for line in lines:
        if (
            joined
            and _HYPHENATED.search(joined[-1])
            and "\t" not in joined[-1]
            and line[:1].islower()
        ):
            joined[-1] = joined[-1][:-1] + line
        else:
            joined.append(line)
    return joined


def _paragraphs(lines: list[str], width: int) -> str:
    """One page's lines as paragraphs separated by blank lines (no trailing separator when the
    last paragraph may continue on the next page)."""
    out = ""
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        table = "\t" in line
        heading = (
            not table
            and following is not None
            and len(line) < 0.6 * width
            and len(line.split()) <= 12
            and not _SENTENCE_END.search(line)
            and not line.endswith(",")
            and (line[:1].isupper() or line[:1].isdigit())
            and (following[:1].isupper() or following[:1].isdigit() or "\t" in following)
        )
        if out and not out.endswith("\n") and (heading or table or _BULLET.match(line)):
            out += "\n\n"
        out += line
        if following is None:
            if table or _SENTENCE_END.search(line) or heading:
                out += "\n"
            continue
        if table:
            out += "\n" if "\t" in following else "\n\n"
        elif (
            heading
            or (_SENTENCE_END.search(line) and len(line) < 0.8 * width)
            or _BULLET.match(following)
            or "\t" in following
        ):
            out += "\n\n"
        else:
            out += " "
    return out
