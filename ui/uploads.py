"""Adding a document from the browser: the application's one upload policy, in plain words.

The checks (content sniffing, size, empty files, a PDF that is not one, a name that is already
another document's) live in the application layer, shared with the HTTP API; this module only
turns the outcome into the message the upload panel shows. A name conflict is not an error
here but a question: ``conflict`` names the document the file would replace, and the panel
asks before uploading again with ``replace=True``.

The panel uploads through a background job (``start_upload``): the checks answer at once, then
the panel polls the job (``job_panel``: a progress bar while it runs, the outcome when it ends),
so a large file never holds the page, and questions go on being answered meanwhile.
``upload_document`` is the same upload done in one call (it answers when indexed).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from assistant.application.documents import Caller, NameConflict
from assistant.application.job_store import Job
from assistant.application.service import AssistantService
from assistant.core.errors import UnreadableDocumentError, UploadRefused

UI_CALLER = Caller(via="ui")
_STAGES = {
    "queued": "waiting for another change to the library to finish",
    "reading": "reading the file and splitting it into passages",
    "embedding": "embedding passages",
    "committing": "saving it to the library",
    "done": "done",
}


@dataclass
class UploadResult:
    """What the upload panel shows: success or not, and the message in plain words."""

    ok: bool
    message: str
    doc_id: str | None = None
    conflict: str | None = None  # the id of the document this file would replace
    job_id: str | None = None  # a background upload that has started


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
    except (UploadRefused, UnreadableDocumentError, ValueError) as exc:
        return _refused(exc)
    return _done(
        outcome.status, outcome.title, outcome.file_name, outcome.chunk_count, outcome.doc_id
    )


def start_upload(
    service: AssistantService,
    data: bytes,
    file_name: str,
    replace: bool = False,
    caller: Caller = UI_CALLER,
) -> UploadResult:
    """Check the file now and start indexing it in the background (``job_id``), or say why
    not (a refusal, or the question whether to replace a document of the same name)."""
    try:
        job = service.start_upload(data, file_name, replace=replace, caller=caller)
    except (UploadRefused, UnreadableDocumentError, ValueError) as exc:
        return _refused(exc)
    return UploadResult(True, progress_html(job), job.doc_id, job_id=job.id)


def job_panel(job: Job) -> UploadResult | None:
    """The outcome of a job that has ended, or None while it is queued or running."""
    if job.state == "succeeded" and job.result is not None:
        r = job.result
        return _done(r.status, r.title, r.file_name, r.chunk_count, r.doc_id)
    if job.state == "cancelled":
        return UploadResult(True, f"Stopped adding {job.file_name}; nothing was changed.")
    if job.state == "failed":
        message = job.error.message if job.error else "The upload failed."
        return UploadResult(False, message)
    return None


def progress_html(job: Job) -> str:
    """The running job as a status line with a progress bar."""
    p = job.progress
    what = _STAGES.get(p.stage, p.stage)
    if p.stage == "embedding" and p.total:
        what += f": {p.done:,} of {p.total:,} ({p.percent:.0f}%)"
    if job.cancel_requested:
        what = "stopping"
    value = f' value="{p.percent:.0f}"' if p.stage in ("embedding", "committing") else ""
    return (
        '<div class="sa-msg sa-msg-info sa-upload-progress" role="status">'
        f"Adding {escape(job.file_name)}: {escape(what)}…"
        f'<progress max="100"{value} aria-label="Upload progress" style="display:block;'
        'width:100%;margin-top:.4em"></progress></div>'
    )


def _refused(exc: Exception) -> UploadResult:
    if isinstance(exc, NameConflict):
        return UploadResult(
            False,
            f"“{exc.title}” is already in the library under this file name. Replace it with "
            "this file? Its title, organisation, place, date and summary are kept; nothing "
            "changes unless you choose Replace.",
            conflict=exc.doc_id,
        )
    return UploadResult(False, str(exc))


def _done(status: str, title: str, file_name: str, passages: int, doc_id: str) -> UploadResult:
    if status in ("added", "updated"):
        verb = "Added" if status == "added" else "Replaced"
        return UploadResult(
            True,
            f"{verb} “{title}” ({passages} passages). It is in the library and answers use it "
            "from now on.",
            doc_id,
        )
    if status == "duplicate":
        return UploadResult(
            True, f"{file_name} has the same content as “{title}”; kept once.", doc_id
        )
    return UploadResult(True, f"“{title}” is already in the library, unchanged.", doc_id)
