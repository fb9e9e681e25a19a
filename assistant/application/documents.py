"""Adding and removing documents: folders (CLI), uploads (API and UI, one policy), deletes.

An upload never replaces a different document in silence: when its name maps to a document id
already in the library and its content (or the metadata sent with it) would change that
document, it is refused with 409 (``NameConflict``, naming the existing id) unless the caller
asks to replace it. A replacement keeps the document's curated metadata (the manifest's, an
earlier upload's, the user's edits) unless new metadata is given; what was only inferred from
the old text is inferred from the new. One change per document id at a time: a second upload
or delete of an id while one is running gets 409 (``ChangeInProgress``), so two same-name
uploads at once never end as last-writer-wins.

Every upload, replace and delete is written to the audit trail (``AuditLog``) with its result,
refusals and failures included.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from assistant.application.feedback_store import AuditAction, AuditLog
from assistant.application.metadata import MetadataService
from assistant.application.upload_policy import check_metadata, check_upload, clean_file_name
from assistant.core.errors import NotFoundError, UnreadableDocumentError, UploadRefused
from assistant.index.index_store import IndexStore
from assistant.index.registry import StoredDocument
from ingest.documents import IngestReport
from ingest.ingest_pipeline import IngestPipeline, ProgressCallback
from ingest.manifest import EDITABLE, PROVENANCE, slugify

logger = logging.getLogger("assistant.documents")


@dataclass(frozen=True)
class Caller:
    """Who asked for a change, for the audit trail: the edge (api, ui, cli) and the address."""

    via: str = "cli"
    client: str | None = None


CLI = Caller()


class NameConflict(UploadRefused):
    """409: the upload's name is an existing, different document (``doc_id``)."""

    def __init__(self, doc_id: str, title: str, file_name: str) -> None:
        super().__init__(
            409,
            "name_conflict",
            f"{file_name}: a different document is already in the library as {doc_id!r} "
            f"(“{title}”); nothing was changed. Send replace=true to replace it (its metadata "
            "is kept unless you send new metadata), or rename the file to add it alongside.",
        )
        self.doc_id = doc_id
        self.title = title


class ChangeInProgress(UploadRefused):
    """409: another upload or delete of the same document id is running."""

    def __init__(self, doc_id: str) -> None:
        super().__init__(
            409,
            "change_in_progress",
            f"Document {doc_id!r} is being changed by another request right now; nothing was "
            "changed by this one. Check the library and retry if still needed.",
        )
        self.doc_id = doc_id


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
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()

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
        """Check an upload by the one policy, index it, audit it and say what happened.

        ``replace`` allows replacing a different document indexed under the same id;
        ``metadata`` (a dict or its JSON text, checked by ``check_metadata``) sets fields or,
        when replacing, overrides the kept ones.
        """
        digest = hashlib.sha256(data).hexdigest()
        name, doc_id, action = clean_file_name(raw_name), None, "upload"
        try:
            name, suffix = check_upload(data, raw_name, self.max_upload_bytes)
            fields = check_metadata(metadata) or None if metadata is not None else None
            doc_id = slugify(PurePosixPath(name).stem)
            with self._claim(doc_id):
                stored = self.store.registry.document(doc_id)
                if replace and stored is not None:
                    action = "replace"
                entry = self._entry_for(stored, doc_id, name, digest, replace, fields)
                outcome = self._ingest(data, name, suffix, entry)
                if stored is not None and fields and outcome.doc_id == doc_id:
                    outcome.title = self._over_earlier_edits(doc_id, fields) or outcome.title
        except UploadRefused as exc:
            self._record(action, caller, doc_id, name, digest, exc.code, exc.status, str(exc))
            raise
        except UnreadableDocumentError as exc:
            self._record(action, caller, doc_id, name, digest, "unreadable_document", 422, str(exc))
            raise
        except Exception as exc:
            status = getattr(exc, "status", 500)
            self._record(action, caller, doc_id, name, digest, "error", status, repr(exc)[:500])
            raise
        status = 201 if outcome.status == "added" else 200
        detail = None if outcome.doc_id == doc_id else f"same content as {outcome.doc_id}"
        self._record(action, caller, outcome.doc_id, name, digest, outcome.status, status, detail)
        return outcome

    def _entry_for(
        self,
        stored: StoredDocument | None,
        doc_id: str,
        name: str,
        digest: str,
        replace: bool,
        fields: dict[str, str | None] | None,
    ) -> dict[str, Any] | None:
        """The manifest-style entry to ingest with (None: derive metadata from the file), or
        ``NameConflict`` when the upload would change a document it was not allowed to."""
        if stored is None:
            if not fields:
                return None
            return {"id": doc_id, **{k: v for k, v in fields.items() if v is not None}}
        owner = next(
            (d for d, h in self.store.registry.document_hashes().items() if _raw(h) == digest),
            None,
        )
        if fields is None and owner is not None:
            return None  # unchanged (same content) or a duplicate of another document: no write
        if not replace:
            raise NameConflict(doc_id, stored.meta.title, name)
        return kept_metadata(stored, fields)

    def _over_earlier_edits(self, doc_id: str, fields: dict[str, str | None]) -> str | None:
        """Metadata sent with a replacement wins over an earlier edit of the same field (edits
        are laid over every re-ingest); returns the title as it now is, when it was edited."""
        earlier = self.store.registry.metadata_edits(doc_id)
        changes = {f: v for f, v in fields.items() if f in earlier}
        if not changes:
            return None
        return MetadataService(self.store).edit(doc_id, changes).meta.title

    def _ingest(
        self, data: bytes, name: str, suffix: str, entry: dict[str, Any] | None
    ) -> UploadOutcome:
        report, doc_id = self.pipeline.ingest_bytes(data, name, suffix, entry)
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
        digest = _raw(stored.content_hash) if stored else None
        name = _file_name_of(stored)
        try:
            with self._claim(doc_id):
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
    @contextmanager
    def _claim(self, doc_id: str) -> Iterator[None]:
        """Hold ``doc_id`` for one change; a second change of it meanwhile is refused."""
        with self._busy_lock:
            if doc_id in self._busy:
                raise ChangeInProgress(doc_id)
            self._busy.add(doc_id)
        try:
            yield
        finally:
            with self._busy_lock:
                self._busy.discard(doc_id)

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


def kept_metadata(stored: StoredDocument, fields: dict[str, str | None] | None) -> dict[str, Any]:
    """The entry a replacement is ingested with: the stored document's metadata (its extra
    fields too), overridden field by field by ``fields`` (``None``: no curated value).

    The stored provenance goes along, so ``build_meta`` reads the fields that were only
    inferred from the old text again from the new one, and lays the user's edits over again;
    a field given in ``fields`` counts as curated.
    """
    meta = stored.meta
    entry: dict[str, Any] = {**meta.extra, "id": meta.doc_id}
    for field in EDITABLE:
        value = getattr(meta, field)
        if value is not None:
            entry[field] = value
    provenance = dict(entry.get(PROVENANCE) or {})
    for field, value in (fields or {}).items():
        provenance.pop(field, None)
        if value is None:
            entry.pop(field, None)
        else:
            entry[field] = value
    entry[PROVENANCE] = provenance
    return entry


def _raw(content_hash: str) -> str:
    """The SHA-256 of the bytes: the first part of a stored content hash."""
    return content_hash.split(":", 1)[0]


def _file_name_of(stored: StoredDocument | None) -> str | None:
    if stored is None or not stored.meta.source_path:
        return None
    return PurePosixPath(stored.meta.source_path.removeprefix("upload:")).name
