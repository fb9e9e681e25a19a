"""Chunk ids: ``<doc_id>:<content hash prefix>:<ordinal>``, made and read in one place.

The content hash in the id means a re-ingested document's passages get new ids, so an
interrupted ingest never mixes two versions of a document under one id.
"""

from __future__ import annotations

SEPARATOR = ":"


def make_chunk_id(doc_id: str, content_hash: str, ordinal: int) -> str:
    return f"{doc_id}{SEPARATOR}{content_hash[:12]}{SEPARATOR}{ordinal:04d}"


def doc_id_of(chunk_id: str) -> str:
    """The document a chunk id belongs to (document ids never contain the separator)."""
    return chunk_id.split(SEPARATOR, 1)[0]
