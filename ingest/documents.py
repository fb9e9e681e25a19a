"""What ingest works with: a report of what changed, a document prepared for embedding, and
the two rules that decide identity (the content hash) and what is embedded for a passage."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from assistant.core.chunk_ids import doc_id_of
from assistant.core.models import Chunk, SourceDocument


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)
    chunks_embedded: int = 0
    texts_embedded: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class PreparedDocument:
    document: SourceDocument
    chunks: list[Chunk]
    embed_texts: list[str]
    is_update: bool


def sentences_of(item: PreparedDocument) -> list[str]:
    return [s for chunk in item.chunks for s in (chunk.sentences() or [chunk.text])]


def content_hash(data: bytes, entry: dict | None, pipeline: str = "") -> str:
    """``<sha256 of the bytes>:<hash of the manifest entry and pipeline signature>``.

    The first part identifies the content (duplicates, chunk ids); the whole string changes when
    the file, its metadata, the chunker or the embedding model changes: each needs a re-ingest.
    """
    return content_hash_of(hashlib.sha256(data).hexdigest(), entry, pipeline)


def content_hash_of(raw: str, entry: dict | None, pipeline: str = "") -> str:
    """``content_hash`` from the bytes' sha256 (``raw``) already known."""
    extra = json.dumps([entry or {}, pipeline], sort_keys=True, default=str).encode()
    return f"{raw}:{hashlib.sha256(extra).hexdigest()[:12]}"


def same_content(first: str, second: str) -> bool:
    return doc_id_of(first) == doc_id_of(second)


def embed_text_for(document: SourceDocument, chunk: Chunk) -> str:
    """What is embedded and keyword-indexed: where the passage sits, then the passage."""
    meta = document.meta
    authors = meta.extra.get("authors")
    authors = ", ".join(authors) if isinstance(authors, list) else authors
    names = []
    for name in (meta.title, meta.short_name, meta.organisation, meta.place, authors, meta.date):
        if name and all(str(name).lower() not in seen.lower() for seen in names):
            names.append(str(name))
    header = " | ".join(names)
    return (
        f"{header}\n{chunk.section}\n{chunk.text}" if chunk.section else f"{header}\n{chunk.text}"
    )
