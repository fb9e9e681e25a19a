"""The one upload policy, for the API and the web UI alike: a file is judged by its content.

A file's name is not trusted: ``sniff_suffix`` decides what the bytes are. A binary format
(PDF, .docx) must be what its name says; among the text formats the content decides (a
``.txt`` whose content is an HTML page is read as HTML, an HTML fragment named ``.html`` as
HTML, Markdown by its name). Every refusal says what to do next and carries the HTTP status
that fits it. Metadata sent with an upload (``check_metadata``) is checked here too, and so are
the refusals that need a look inside the file but no parsing (``check_readable``: a zip bomb, text
that is not UTF-8 or UTF-16), so an upload run as a background job is refused before it starts.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from assistant.application.metadata import check_changes
from assistant.core.errors import UnreadableDocumentError, UploadRefused
from ingest.archives import ZIP_SUFFIXES, ArchiveLimits, check_archive
from ingest.loaders import SUPPORTED_SUFFIXES, sniff_suffix
from ingest.manifest import EDITABLE
from ingest.text_encoding import decode_text

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
_BINARY_KINDS = {".pdf": "PDF", ".docx": "Word (.docx) file"}
_DESCRIBE = {".pdf": "a PDF", ".docx": "a Word .docx file", ".html": "HTML", ".txt": "text"}


def clean_file_name(raw: str | None) -> str:
    """The file's own name, without any folder a client sent (``../../x.txt`` → ``x.txt``)."""
    return PurePosixPath((raw or "").replace("\\", "/")).name.strip() or "upload"


def upload_type(data: bytes, file_name: str) -> str:
    """The suffix to parse ``data`` as; raises ``UploadRefused`` (415) when it can't be read."""
    supported = ", ".join(SUPPORTED_SUFFIXES)
    declared = PurePosixPath(file_name).suffix.lower()
    if declared and declared not in SUPPORTED_SUFFIXES:
        raise UploadRefused(
            415,
            "unsupported_media_type",
            f"{file_name}: unsupported file type '{declared}'; upload one of: {supported}.",
        )
    sniffed = sniff_suffix(data)
    if declared in _BINARY_KINDS and sniffed != declared:
        found = _DESCRIBE[sniffed] if sniffed else "binary data of another kind"
        raise UploadRefused(
            415,
            "unsupported_media_type",
            f"{file_name}: the name says {declared} but the content is {found}, not a "
            f"{_BINARY_KINDS[declared]}; it may be damaged or renamed. Upload the real file or "
            "give it the right extension.",
        )
    if sniffed is None:
        raise UploadRefused(
            415,
            "unsupported_media_type",
            f"{file_name}: the content looks binary and is not a PDF or .docx document; "
            f"supported: {supported}.",
        )
    if not declared:
        return sniffed
    if sniffed in _BINARY_KINDS and sniffed != declared:
        raise UploadRefused(
            415,
            "unsupported_media_type",
            f"{file_name}: the name says {declared} but the content is {_DESCRIBE[sniffed]}; "
            "upload the real file or give it the right extension.",
        )
    if declared in _BINARY_KINDS:
        return declared
    if sniffed == ".html":
        return ".html"  # a whole HTML page, whatever its name: read it as HTML
    return declared  # text: Markdown, plain text or an HTML fragment, as named


def check_upload(data: bytes, raw_name: str | None, max_bytes: int) -> tuple[str, str]:
    """``(file name to store, suffix to parse as)`` for an upload, or ``UploadRefused``."""
    name = clean_file_name(raw_name)
    if len(data) > max_bytes:
        raise UploadRefused(
            413,
            "payload_too_large",
            f"{name} is {len(data):,} bytes; the upload limit is {max_bytes:,} bytes "
            "(ASSISTANT_MAX_UPLOAD_BYTES).",
        )
    if not data.strip():
        raise UploadRefused(
            422, "unreadable_document", f"{name} is empty; there is nothing to add."
        )
    suffix = upload_type(data, name)
    if not PurePosixPath(name).suffix:
        name += suffix
    return name, suffix


def check_readable(data: bytes, name: str, suffix: str, limits: ArchiveLimits) -> None:
    """The loader's cheap refusals, before any parsing: a .docx that would expand past
    ``limits`` (413 ``archive_too_large``) and text that cannot be decoded (422
    ``unreadable_document``); the loader checks the same again when it parses."""
    try:
        if suffix in ZIP_SUFFIXES:
            check_archive(data, name, limits)
        elif suffix in TEXT_SUFFIXES:
            decode_text(data, name)
    except UploadRefused:  # ArchiveTooLargeError: 413
        raise
    except UnreadableDocumentError as exc:
        raise UploadRefused(422, "unreadable_document", str(exc)) from None


def check_metadata(metadata: Any) -> dict[str, str | None]:
    """Metadata sent with an upload (a dict, or its JSON text), checked by the same rules as a
    metadata edit (``metadata.check_changes``: the editable fields only, ISO dates, lengths;
    ``None`` or blank means "no curated value": it is read from the document again). Raises
    ``UploadRefused`` (422, ``invalid_metadata``) naming what is wrong."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = None
    if not isinstance(metadata, dict):
        raise UploadRefused(
            422,
            "invalid_metadata",
            'metadata must be a JSON object, e.g. {"title": "Leeds skills plan"}; fields: '
            f"{', '.join(EDITABLE)}.",
        )
    for field, value in metadata.items():
        try:
            str(field).encode("utf-8")
            if isinstance(value, str):
                value.encode("utf-8")
        except UnicodeEncodeError:
            raise UploadRefused(
                422, "invalid_metadata", f"metadata {field!r} is not valid Unicode text."
            ) from None
    return check_changes(metadata)
