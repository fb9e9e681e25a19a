"""Adding and removing documents: folders (CLI), uploads (API and UI, one policy), deletes.

An upload never replaces a different document in silence: when its name maps to a document id
already in the library and its content (or the metadata sent with it) would change that
document, it is refused with 409 (``NameConflict``, naming the existing id) unless the caller
asks to replace it. A replacement keeps the document's curated metadata (the manifest's, an
earlier upload's, the user's edits) unless new metadata is given; what was only inferred from
the old text is inferred from the new. One change per document id at a time: a second upload
or delete of an id while one is running, or queued as a background job, gets 409
(``ChangeInProgress``), so two same-name uploads at once never end as last-writer-wins.

An upload is two steps: ``check_upload`` makes every refusal that needs no parsing (413, 415,
422, 409) and holds the document id; ``run_upload`` indexes it, in the request (``add_upload``)
or later in a background job (``assistant.application.jobs``), and looks again at the library
first, since it may have changed while the job waited.

Every upload, replace and delete is written to the audit trail (``AuditLog``) with its result,
refusals, failures and cancelled jobs included.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from assistant.application.feedback_store import AuditAction, AuditLog
from assistant.application.job_store import JobCancelled
from assistant.application.metadata import MetadataService
from assistant.application.upload_entry import (
    ChangeInProgress,
    Claims,
    NameConflict,
    entry_for,
    raw_hash,
)
from assistant.application.upload_policy import (
    check_metadata,
    check_readable,
    check_upload,
    clean_file_name,
)
from assistant.core.errors import NotFoundError, UnreadableDocumentError, UploadRefused
from assistant.index.index_store import IndexStore
from assistant.index.registry import StoredDocument
from ingest.documents import IngestReport
from ingest.ingest_pipeline import IngestPipeline, ProgressCallback
from ingest.manifest import slugify

__all__ = ["CLI", "Caller", "ChangeInProgress", "DocumentService", "NameConflict", "UploadOutcome"]
logger = logging.getLogger("assistant.documents")


@dataclass(frozen=True)
class Caller:
    """Who asked for a change, for the audit trail: the edge (api, ui, cli) and the address."""

    via: str = "cli"
    client: str | None = None


CLI = Caller()


@dataclass
class PendingUpload:
    """An upload that passed every check; it holds ``doc_id`` until run or dropped."""

    data: bytes = field(repr=False)
    name: str
    suffix: str
    doc_id: str
    digest: str
    replace: bool
    fields: dict[str, str | None] | None
    caller: Caller
    action: AuditAction = "upload"


@dataclass
class UploadOutcome:
    """What an upload did: ``status`` is added, updated, duplicate or unchanged."""

    doc_id: str
    file_name: str
    status: str
    title: str
    chunk_count: int
    report: IngestReport


class DocumentService:
    """Every write to the index from outside goes through here."""

    def __init__(
        self,
        store: IndexStore,
        pipeline: IngestPipeline,
        max_upload_bytes: int,
        audit: AuditLog | None = None,
    ):
        self.store = store
        self.pipeline = pipeline
        self.max_upload_bytes = max_upload_bytes
        self.audit = audit
        self.claims = Claims()

    def ingest_folder(self, folder: Path, progress: ProgressCallback | None = None) -> IngestReport:
        return self.pipeline.ingest_folder(folder, progress)

    def upload(self, data: bytes, file_name: str, suffix: str) -> tuple[IngestReport, str | None]:
        """Index already-checked bytes, no questions asked (``add_upload`` is the policy)."""
        return self.pipeline.ingest_bytes(data, file_name, suffix)

    # -- uploads -----------------------------------------------------------------------------
    def add_upload(
        self,
        data: bytes,
        raw_name: str | None,
        *,
        replace: bool = False,
        metadata: dict[str, Any] | str | None = None,
        caller: Caller = CLI,
    ) -> UploadOutcome:
        """Check an upload by the one policy, index it, audit it and say what happened."""
        pending = self.check_upload(
            data, raw_name, replace=replace, metadata=metadata, caller=caller
        )
        return self.run_upload(pending)

    def check_upload(
        self,
        data: bytes,
        raw_name: str | None,
        *,
        replace: bool = False,
        metadata: dict[str, Any] | str | None = None,
        caller: Caller = CLI,
    ) -> PendingUpload:
        """Every refusal an upload can get before it is parsed (audited), or the upload, which
        holds its document id until ``run_upload`` or ``drop_upload``.

        ``replace`` allows replacing a different document indexed under the same id;
        ``metadata`` (a dict or its JSON text, checked by ``check_metadata``) sets fields or,
        when replacing, overrides the kept ones.
        """
        digest = hashlib.sha256(data).hexdigest()
        name, doc_id, action = clean_file_name(raw_name), None, "upload"
        try:
            name, suffix = check_upload(data, raw_name, self.max_upload_bytes)
            fields = check_metadata(metadata) or None if metadata is not None else None
            check_readable(data, name, suffix, self.pipeline.archive_limits)
            doc_id = slugify(PurePosixPath(name).stem)
            self.claims.take(doc_id)
            try:
                stored = self.store.registry.document(doc_id)
                if replace and stored is not None:
                    action = "replace"
                entry_for(self.store, stored, doc_id, name, digest, replace, fields)
            except BaseException:
                self.claims.give_back(doc_id)
                raise
        except Exception as exc:
            self._record_failure(exc, action, caller, doc_id, name, digest)
            raise
        return PendingUpload(data, name, suffix, doc_id, digest, replace, fields, caller, action)

    def run_upload(
        self,
        pending: PendingUpload,
        progress: ProgressCallback | None = None,
        job_id: str | None = None,
    ) -> UploadOutcome:
        """Index a checked upload (``progress`` as ``IngestPipeline.ingest_bytes`` takes it) and
        give its document id back. As a job (``job_id``), the audit row says 202 and the job."""
        p, doc_id = pending, pending.doc_id
        answered = 202 if job_id else None
        try:
            stored = self.store.registry.document(doc_id)  # again: a job may have waited
            entry = entry_for(self.store, stored, doc_id, p.name, p.digest, p.replace, p.fields)
            outcome = self._ingest(p.data, p.name, p.suffix, entry, progress)
            if stored is not None and p.fields and outcome.doc_id == doc_id:
                outcome.title = self._over_earlier_edits(doc_id, p.fields) or outcome.title
        except Exception as exc:
            self._record_failure(exc, p.action, p.caller, doc_id, p.name, p.digest, job_id)
            raise
        finally:
            self.claims.give_back(doc_id)
        status = answered or (201 if outcome.status == "added" else 200)
        same = None if outcome.doc_id == doc_id else f"same content as {outcome.doc_id}"
        detail = "; ".join(d for d in (_job_note(job_id), same) if d) or None
        self._record(
            p.action, p.caller, outcome.doc_id, p.name, p.digest, outcome.status, status, detail
        )
        return outcome

    def drop_upload(self, pending: PendingUpload, job_id: str, why: str) -> None:
        """Give back a checked upload that will not run (a job cancelled while queued)."""
        self.claims.give_back(pending.doc_id)
        p = pending
        self._record(
            p.action, p.caller, p.doc_id, p.name, p.digest, "cancelled", 202, f"job {job_id}: {why}"
        )

    def _record_failure(
        self,
        exc: Exception,
        action: AuditAction,
        caller: Caller,
        doc_id: str | None,
        name: str,
        digest: str,
        job_id: str | None = None,
    ) -> None:
        note = _job_note(job_id)
        if isinstance(exc, JobCancelled):
            result, status, detail = "cancelled", 202, f"{note}: cancelled; nothing was changed"
        elif isinstance(exc, UploadRefused):
            result, status, detail = exc.code, exc.status, str(exc)
        elif isinstance(exc, UnreadableDocumentError):
            result, status, detail = "unreadable_document", 422, str(exc)
        else:
            result, status, detail = "error", getattr(exc, "status", 500), repr(exc)[:500]
        if job_id and not isinstance(exc, JobCancelled):
            status, detail = 202, f"{note}: {status} {detail}"
        self._record(action, caller, doc_id, name, digest, result, status, detail)

    def _over_earlier_edits(self, doc_id: str, fields: dict[str, str | None]) -> str | None:
        """Metadata sent with a replacement wins over an earlier edit of the same field (edits
        are laid over every re-ingest); returns the title as it now is, when it was edited."""
        earlier = self.store.registry.metadata_edits(doc_id)
        changes = {f: v for f, v in fields.items() if f in earlier}
        if not changes:
            return None
        return MetadataService(self.store).edit(doc_id, changes).meta.title

    def _ingest(
        self,
        data: bytes,
        name: str,
        suffix: str,
        entry: dict[str, Any] | None,
        progress: ProgressCallback | None,
    ) -> UploadOutcome:
        extra = {"progress": progress} if progress else {}
        report, doc_id = self.pipeline.ingest_bytes(data, name, suffix, entry, **extra)
        if doc_id is None:
            reasons = "; ".join(reason for _, reason in report.skipped) or "it could not be read"
            raise UploadRefused(422, "unreadable_document", f"{name} was not added: {reasons}.")
        if report.added:
            status = "added"
        elif report.updated:
            status = "updated"
        elif report.duplicates:
            status = "duplicate"
        else:
            status = "unchanged"
        stored = self.store.registry.document(doc_id, with_text=False)
        return UploadOutcome(
            doc_id=doc_id,
            file_name=name,
            status=status,
            title=stored.meta.title if stored else doc_id,
            chunk_count=stored.chunk_count if stored else 0,
            report=report,
        )

    # -- deletes -----------------------------------------------------------------------------
    def delete(self, doc_id: str, caller: Caller = CLI) -> None:
        stored = self.store.registry.document(doc_id, with_text=False)
        digest = raw_hash(stored.content_hash) if stored else None
        name = _file_name_of(stored)
        try:
            with self.claims.hold(doc_id):
                if not self.pipeline.delete(doc_id):
                    raise NotFoundError(f"No document with id {doc_id!r}.")
        except NotFoundError as exc:
            self._record("delete", caller, doc_id, name, digest, "not_found", 404, str(exc))
            raise
        except UploadRefused as exc:
            self._record("delete", caller, doc_id, name, digest, exc.code, exc.status, str(exc))
            raise
        except Exception as exc:
            status = getattr(exc, "status", 500)
            self._record("delete", caller, doc_id, name, digest, "error", status, repr(exc)[:500])
            raise
        self._record("delete", caller, doc_id, name, digest, "deleted", 200, None)

    # -- helpers -----------------------------------------------------------------------------
    def _record(
        self,
        action: AuditAction,
        caller: Caller,
        doc_id: str | None,
        file_name: str | None,
        digest: str | None,
        result: str,
        status: int,
        detail: str | None,
    ) -> None:
        """Write one audit row; a failing audit write is logged, never turned into an error
        for a change that has already been committed."""
        if self.audit is None:
            return
        try:
            self.audit.record(
                action,
                result=result,
                status=status,
                via=caller.via,
                client=caller.client,
                doc_id=doc_id,
                file_name=file_name,
                content_hash=digest,
                detail=detail,
            )
        except Exception:
            logger.exception("Could not write the audit row for %s of %s", action, doc_id)


def _job_note(job_id: str | None) -> str | None:
    return f"job {job_id}" if job_id else None


def _file_name_of(stored: StoredDocument | None) -> str | None:
    if stored is None or not stored.meta.source_path:
        return None
    return PurePosixPath(stored.meta.source_path.removeprefix("upload:")).name
