"""Adding a document from the browser: check the file by its content, ingest, explain.

A file's name is not trusted: ``sniff_suffix`` decides what the bytes are, and a file that claims
to be a PDF or Word document but is not is refused with a message saying so, before anything
reaches the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.application.service import AssistantService
from ingest.loaders import SUPPORTED_SUFFIXES, sniff_suffix

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
_KIND_NAMES = {".pdf": "PDF", ".docx": "Word (.docx)"}


@dataclass
class UploadResult:
    """What the upload panel shows: success or not, and the message in plain words."""

    ok: bool
    message: str
    doc_id: str | None = None


def choose_suffix(data: bytes, file_name: str) -> tuple[str | None, str | None]:
    """The type to ingest ``data`` as, judged by its content; or None and the reason why not."""
    claimed = Path(file_name).suffix.lower()
    sniffed = sniff_suffix(data)
    supported = ", ".join(SUPPORTED_SUFFIXES)
    if claimed in _KIND_NAMES and sniffed != claimed:
        return None, (
            f"{file_name} is named {claimed} but its content is not a {_KIND_NAMES[claimed]} "
            "file; it may be damaged or renamed. Export it again and retry."
        )
    if sniffed is None:
        return None, (
            f"{file_name} is not a document we can read: its content looks binary (not text, "
            f"PDF or Word). Supported types: {supported}."
        )
    if claimed and claimed not in SUPPORTED_SUFFIXES:
        return None, f"{file_name}: unsupported file type '{claimed}'. Supported: {supported}."
    if sniffed == ".txt" and claimed in TEXT_SUFFIXES:
        return claimed, None  # Markdown and HTML fragments read as text by content
    return sniffed, None


def upload_document(service: AssistantService, data: bytes, file_name: str) -> UploadResult:
    """Check the file by content, ingest it and say in plain words what happened."""
    from assistant.core.errors import UnreadableDocumentError

    file_name = Path(file_name or "upload").name
    limit = service.settings.max_upload_bytes
    if not data or not data.strip():
        return UploadResult(False, f"{file_name} is empty; there is nothing to add.")
    if len(data) > limit:
        return UploadResult(
            False, f"{file_name} is {len(data):,} bytes; the upload limit is {limit:,} bytes."
        )
    suffix, problem = choose_suffix(data, file_name)
    if suffix is None:
        return UploadResult(False, problem or "Unreadable file.")
    try:
        report, doc_id = service.upload(data, file_name, suffix)
    except (UnreadableDocumentError, ValueError) as exc:
        return UploadResult(False, str(exc))
    if doc_id is None:
        reasons = "; ".join(reason for _, reason in report.skipped) or "it could not be read"
        return UploadResult(False, f"{file_name} was not added: {reasons}.")
    title = next((d.meta.title for d in service.documents() if d.meta.doc_id == doc_id), doc_id)
    if report.added or report.updated:
        verb = "Added" if report.added else "Updated"
        return UploadResult(
            True,
            f"{verb} “{title}” ({report.chunks_embedded} passages). It is in the library and "
            "answers use it from now on.",
            doc_id,
        )
    if report.duplicates:
        return UploadResult(
            True, f"{file_name} has the same content as “{title}”; kept once.", doc_id
        )
    return UploadResult(True, f"“{title}” is already in the library, unchanged.", doc_id)
