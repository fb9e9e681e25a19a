"""Adding a document from the browser: the application's one upload policy, in plain words.

The checks (content sniffing, size, empty files, a PDF that is not one) live in
``assistant.application.upload_policy``, shared with the HTTP API; this module only turns the
outcome into the message the upload panel shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.application.service import AssistantService
from assistant.core.errors import UnreadableDocumentError, UploadRefused


@dataclass
class UploadResult:
    """What the upload panel shows: success or not, and the message in plain words."""

    ok: bool
    message: str
    doc_id: str | None = None


def upload_document(service: AssistantService, data: bytes, file_name: str) -> UploadResult:
    """Check the file by content, ingest it and say in plain words what happened."""
    try:
        outcome = service.add_upload(data, file_name)
    except (UploadRefused, UnreadableDocumentError, ValueError) as exc:
        return UploadResult(False, str(exc))
    title = outcome.title
    if outcome.status in ("added", "updated"):
        verb = "Added" if outcome.status == "added" else "Updated"
        return UploadResult(
            True,
            f"{verb} “{title}” ({outcome.report.chunks_embedded} passages). It is in the "
            "library and answers use it from now on.",
            outcome.doc_id,
        )
    if outcome.status == "duplicate":
        return UploadResult(
            True,
            f"{outcome.file_name} has the same content as “{title}”; kept once.",
            outcome.doc_id,
        )
    return UploadResult(True, f"“{title}” is already in the library, unchanged.", outcome.doc_id)
