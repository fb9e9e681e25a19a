"""Turn files (.txt, .md, .pdf, .docx, .html) into normalised text.

Every loader returns plain text in one convention the chunker understands: markdown-style
``#`` headings, ``- `` list items, tab-separated table rows, and a page list for PDFs.

Text files are read as UTF-8 or UTF-16, with or without a BOM (``ingest.text_encoding``). A
.docx is a zip archive: how far it would expand is checked against ``ArchiveLimits`` before
anything in it is decompressed (``ingest.archives``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.errors import UnreadableDocumentError
from assistant.core.normalise import normalise_text
from ingest.archives import ZIP_SUFFIXES, ArchiveLimits, check_archive
from ingest.html_loader import load_html
from ingest.pdf_loader import load_pdf
from ingest.text_encoding import BOMS, decode_text, decode_utf16_head, utf16_without_bom

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm")


@dataclass
class LoadedText:
    """Text extracted from one file, with page start offsets where the format has pages."""

    text: str
    page_starts: list[int] = field(default_factory=list)


def load_bytes(
    data: bytes, suffix: str, name: str, limits: ArchiveLimits | None = None
) -> LoadedText:
    """Extract normalised text from ``data`` whose format is given by ``suffix``.

    Raises ``UnreadableDocumentError`` with a message that names the file and says what to do
    (``ArchiveTooLargeError``, one of them, for an archive that would expand past ``limits``).
    """
    suffix = suffix.lower()
    if not data.strip():
        raise UnreadableDocumentError(f"{name}: the file is empty; nothing to index.")
    if suffix in ZIP_SUFFIXES:
        check_archive(data, name, limits or ArchiveLimits.defaults())
    if suffix in (".txt", ".md", ".markdown"):
        loaded = LoadedText(decode_text(data, name))
    elif suffix == ".pdf":
        loaded = LoadedText(*load_pdf(data, name))
    elif suffix == ".docx":
        loaded = LoadedText(_load_docx(data, name))
    elif suffix in (".html", ".htm"):
        loaded = LoadedText(load_html(decode_text(data, name)))
    else:
        raise UnreadableDocumentError(
            f"{name}: unsupported file type '{suffix}'; supported: {', '.join(SUPPORTED_SUFFIXES)}."
        )
    if not loaded.page_starts:
        loaded.text = normalise_text(loaded.text)
    if not loaded.text.strip():
        raise UnreadableDocumentError(f"{name}: no text could be extracted (scanned image?).")
    return loaded


def load_file(path: Path) -> LoadedText:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocumentError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    return load_bytes(data, path.suffix, path.name)


def sniff_suffix(data: bytes) -> str | None:
    """Guess a supported type from the content itself, so uploads are not trusted by name."""
    head = data[:2048].lstrip()
    if head.startswith(b"%PDF-"):
        return ".pdf"
    if head.startswith(b"PK\x03\x04"):
        return ".docx" if b"word/" in data[:65536] or b"[Content_Types].xml" in data else None
    if data.startswith(BOMS) or utf16_without_bom(data):
        text_head = decode_utf16_head(data).lstrip().lower()[:512]
        html = text_head.startswith(("<!doctype html", "<html")) or "<body" in text_head
        return ".html" if html else ".txt"
    if b"\x00" in data[:8192]:
        return None
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered:
        return ".html"
    return ".txt"


def _load_pdf(data: bytes, name: str) -> LoadedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocumentError(f"{name}: the PDF is encrypted; save an open copy.")
        pages = [normalise_text(page.extract_text() or "") for page in reader.pages]
    except UnreadableDocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocumentError(f"{name}: corrupt or unreadable PDF ({exc}).") from exc
    text, starts = "", []
    for page in pages:
        starts.append(len(text))
        text += page.strip("\n") + "\n\n"
    return LoadedText(text, starts)


def _load_docx(data: bytes, name: str) -> str:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableDocumentError(f"{name}: corrupt or unreadable .docx ({exc}).") from exc
    lines: list[str] = []
    body = document.element.body
    for block in body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(_docx_paragraph(block, document))
        elif tag == "tbl":
            lines.extend(_docx_table(block, document))
            lines.append("")
    return "\n\n".join(line for line in lines)


def _docx_paragraph(element, document) -> str:
    from docx.text.paragraph import Paragraph

    paragraph = Paragraph(element, document)
    text = paragraph.text.strip()
    style = (paragraph.style.name or "") if paragraph.style is not None else ""
    if text and style.startswith("Heading"):
        level = "".join(ch for ch in style if ch.isdigit()) or "1"
        return "#" * min(int(level), 6) + " " + text
    if text and style.startswith("Title"):
        return "# " + text
    if text and "List" in style:
        return "- " + text
    return text


def _docx_table(element, document) -> list[str]:
    from docx.table import Table

    table = Table(element, document)
    rows = []
    for row in table.rows:
        cells = [" ".join(cell.text.split()) for cell in row.cells]
        rows.append("\t".join(cells))
    return ["\n".join(rows)]


def _load_html(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "footer", "template"]):
        tag.decompose()
    blocks: list[str] = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre"]):
        nested = element.find_parent(["table", "li"]) and element.name != "table"
        if nested and (element.name != "li" or element.find_parent("table")):
            continue  # read as part of the enclosing table or list item
        text = " ".join(element.get_text(" ").split())
        if element.name == "table":
            rows = []
            for row in element.find_all("tr"):
                cells = [" ".join(c.get_text(" ").split()) for c in row.find_all(["th", "td"])]
                rows.append("\t".join(cells))
            blocks.append("\n".join(rows))
        elif not text:
            continue
        elif element.name[0] == "h":
            blocks.append("#" * int(element.name[1]) + " " + text)
        elif element.name == "li":
            blocks.append("- " + text)
        else:
            blocks.append(text)
    if not blocks:
        blocks.append(" ".join(soup.get_text(" ").split()))
    return "\n\n".join(blocks)
