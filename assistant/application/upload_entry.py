"""What an upload is ingested with, and when it may not be: its name is a different document,
or its document is being changed already.

``entry_for`` turns an upload into the manifest-style entry the pipeline ingests it with (None:
derive every field from the file) or refuses it with ``NameConflict`` (409) when it would change
a document it was not allowed to replace; ``kept_metadata`` is what a replacement keeps.
``Claims`` holds the document ids being changed (an upload from its checks to the end of its
job, a delete): a second change of one meanwhile is refused with ``ChangeInProgress`` (409).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from assistant.core.errors import UploadRefused
from assistant.index.index_store import IndexStore
from assistant.index.registry import StoredDocument
from ingest.manifest import EDITABLE, PROVENANCE


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


class Claims:
    """The document ids being changed in this process; one change per id at a time."""

    def __init__(self) -> None:
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def take(self, doc_id: str) -> None:
        with self._lock:
            if doc_id in self._busy:
                raise ChangeInProgress(doc_id)
            self._busy.add(doc_id)

    def give_back(self, doc_id: str) -> None:
        with self._lock:
            self._busy.discard(doc_id)

    @contextmanager
    def hold(self, doc_id: str) -> Iterator[None]:
        """Hold ``doc_id`` for the block; ``ChangeInProgress`` if it is held already."""
        self.take(doc_id)
        try:
            yield
        finally:
            self.give_back(doc_id)


def entry_for(
    store: IndexStore,
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
        (d for d, h in store.registry.document_hashes().items() if raw_hash(h) == digest),
        None,
    )
    if fields is None and owner is not None:
        return None  # unchanged (same content) or a duplicate of another document: no write
    if not replace:
        raise NameConflict(doc_id, stored.meta.title, name)
    return kept_metadata(stored, fields)


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


def raw_hash(content_hash: str) -> str:
    """The SHA-256 of the bytes: the first part of a stored content hash."""
    return content_hash.split(":", 1)[0]
