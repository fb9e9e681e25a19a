"""Adding a document from the browser: the application's one upload policy, in plain words.

The checks (content sniffing, size, empty files, a PDF that is not one, a name that is already
another document's) live in the application layer, shared with the HTTP API; this module only
turns the outcome into the message the upload panel shows. A name conflict is not an error
here but a question: ``conflict`` names the document the file would replace, and the panel
asks before uploading again with ``replace=True``.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.application.documents import Caller, NameConflict
from assistant.application.service import AssistantService
from assistant.core.errors import UnreadableDocumentError, UploadRefused

UI_CALLER = Caller(via="ui")


@dataclass
class UploadResult:
    """What the upload panel shows: success or not, and the message in plain words."""

    ok: bool
    message: str
    doc_id: str | None = None
    conflict: str | None = None  # the id of the document this file would replace


def upload_document(
    service: AssistantService,
    data: bytes,
    file_name: str,
    replace: bool = False,
    caller: Caller = UI_CALLER,
) -> UploadResult:
    """Check the file by content, ingest it and say in plain words what happened."""
    try:
        outcome = service.add_upload(data, file_name, replace=replace, caller=caller)
    except NameConflict as exc:
        return UploadResult(
            False,
            f"“{exc.title}” is already in the library under this file name. Replace it with "
            "this file? Its title, organisation, place, date and summary are kept; nothing "
            "changes unless you choose Replace.",
            conflict=exc.doc_id,
        )
    except (UploadRefused, UnreadableDocumentError, ValueError) as exc:
        return UploadResult(False, str(exc))
    title = outcome.title
    if outcome.status in ("added", "updated"):
        verb = "Added" if outcome.status == "added" else "Replaced"
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
