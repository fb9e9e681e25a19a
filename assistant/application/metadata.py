"""Editing a document's metadata: title, short name, organisation, place, date, kind, summary.

An edit is stored in the registry's own ``metadata_edits`` table and laid over the manifest's
and the inferred values whenever the document's metadata is built, so it outlives re-ingests
and restarts. It also takes effect at once: the stored metadata and the passages' embed texts
(which the keyword index reads) are rewritten in the same transaction, and the registry's
generation moves on, so filters, lead-ins, the place-aware answering and the answer cache (keyed
by the generation) all see the new values on the next question. The passages' vectors keep the
header they were embedded with until the document is next re-embedded.

A field set to ``None`` (or blank) undoes its edit: the manifest's or inferred value returns.
"""

from __future__ import annotations

import logging
import re

from assistant.core.errors import NotFoundError, UploadRefused
from assistant.core.models import SourceDocument
from assistant.core.views import DocumentSummary
from assistant.index.index_store import IndexStore
from ingest.documents import embed_text_for
from ingest.manifest import EDITABLE, apply_edits

MAX_CHARS = {"summary": 2000, "title": 300}
DEFAULT_MAX_CHARS = 200
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

logger = logging.getLogger("assistant.application")


class MetadataRefused(UploadRefused):
    """An edit that cannot be stored (unknown field, a date that is not one, too long)."""

    def __init__(self, message: str) -> None:
        super().__init__(422, "invalid_metadata", message)


def check_changes(changes: dict[str, str | None]) -> dict[str, str | None]:
    """The changes as they will be stored: known fields only, trimmed, blank meaning undo."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise MetadataRefused(
            f"Unknown field(s) {', '.join(unknown)}; editable: {', '.join(EDITABLE)}."
        )
    checked: dict[str, str | None] = {}
    for name, value in changes.items():
        if value is not None and not isinstance(value, str):
            raise MetadataRefused(f"{name} must be text or null.")
        text = " ".join(value.split()) if name != "summary" and value else (value or "").strip()
        limit = MAX_CHARS.get(name, DEFAULT_MAX_CHARS)
        if len(text) > limit:
            raise MetadataRefused(f"{name} is {len(text)} characters; at most {limit}.")
        if name == "date" and text and not _DATE.match(text):
            raise MetadataRefused(
                f"date {text!r} is not an ISO date such as 2025, 2025-03 or 2025-03-10."
            )
        checked[name] = text or None
    return checked


class MetadataService:
    """Every metadata edit goes through here (API ``PATCH /documents/{id}`` and the UI)."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store

    def edits(self, doc_id: str) -> dict[str, str]:
        return self.store.registry.metadata_edits(doc_id)

    def edit(self, doc_id: str, changes: dict[str, str | None]) -> DocumentSummary:
        """Apply ``changes`` to ``doc_id``'s metadata; returns the document as now listed."""
        with self.store.writing():  # an index write: one writer at a time, uploads included
            return self._edit(doc_id, changes)

    def _edit(self, doc_id: str, changes: dict[str, str | None]) -> DocumentSummary:
        registry = self.store.registry
        stored = registry.document(doc_id, with_text=False)
        if stored is None:
            raise NotFoundError(
                f"No document with id {doc_id!r}; list ids with GET /api/v1/documents."
            )
        checked = check_changes(changes)
        edits = dict(registry.metadata_edits(doc_id))
        for name, value in checked.items():
            if value is None:
                edits.pop(name, None)
            else:
                edits[name] = value
        meta = apply_edits(stored.meta, checked)
        meta.doc_id = doc_id
        document = SourceDocument(meta=meta, text="", content_hash=stored.content_hash)
        embed_texts = {c.chunk_id: embed_text_for(document, c) for c in registry.chunks_of(doc_id)}
        registry.save_metadata_edits(doc_id, edits, meta, embed_texts)
        try:  # the embed texts changed; a failure here is repaired when BM25 is next read
            self.store.rebuild_keyword_index()
        except Exception:
            logger.warning("rebuilding the keyword index after an edit failed", exc_info=True)
        return DocumentSummary(
            meta=meta,
            content_hash=stored.content_hash,
            chunk_count=stored.chunk_count,
            ingested_at=stored.ingested_at,
        )
