"""Adding and removing documents: folders (CLI), uploads (API and UI, one policy), deletes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.application.upload_policy import check_upload
from assistant.core.errors import NotFoundError, UploadRefused
from assistant.index.index_store import IndexStore
from ingest.documents import IngestReport
from ingest.ingest_pipeline import IngestPipeline, ProgressCallback


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

    def __init__(self, store: IndexStore, pipeline: IngestPipeline, max_upload_bytes: int):
        self.store = store
        self.pipeline = pipeline
        self.max_upload_bytes = max_upload_bytes

    def ingest_folder(self, folder: Path, progress: ProgressCallback | None = None) -> IngestReport:
        return self.pipeline.ingest_folder(folder, progress)

    def upload(self, data: bytes, file_name: str, suffix: str) -> tuple[IngestReport, str | None]:
        """Index already-checked bytes (``add_upload`` checks them first)."""
        return self.pipeline.ingest_bytes(data, file_name, suffix)

    def add_upload(self, data: bytes, raw_name: str | None) -> UploadOutcome:
        """Check an upload by the one policy, index it and say what happened."""
        name, suffix = check_upload(data, raw_name, self.max_upload_bytes)
        report, doc_id = self.pipeline.ingest_bytes(data, name, suffix)
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
        stored = self.store.registry.document(doc_id)
        return UploadOutcome(
            doc_id=doc_id,
            file_name=name,
            status=status,
            title=stored.meta.title if stored else doc_id,
            chunk_count=stored.chunk_count if stored else 0,
            report=report,
        )

    def delete(self, doc_id: str) -> None:
        if not self.pipeline.delete(doc_id):
            raise NotFoundError(f"No document with id {doc_id!r}.")
