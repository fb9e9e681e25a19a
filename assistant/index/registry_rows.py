"""The rows both registries (SQLite ``Registry``, PostgreSQL ``PgRegistry``) store and read:
one format, so a passage's bytes mean the same whichever database holds them."""

from __future__ import annotations

import json

import numpy as np

from assistant.core.models import Chunk, DocumentMeta


def chunk_rows(
    chunks: list[Chunk],
    embed_texts: list[str],
    vectors: np.ndarray,
    sentence_vectors: list[np.ndarray],
) -> list[tuple]:
    """``chunks`` table rows: id, document, ordinal, the chunk as JSON, its embed text, and its
    passage vector and sentence-vector matrix as float32 bytes."""
    return [
        (
            c.chunk_id,
            c.doc_id,
            c.ordinal,
            c.model_dump_json(),
            embed,
            np.ascontiguousarray(vec, dtype=np.float32).tobytes(),
            np.ascontiguousarray(sent, dtype=np.float32).tobytes(),
        )
        for c, embed, vec, sent in zip(chunks, embed_texts, vectors, sentence_vectors, strict=True)
    ]


def sentence_matrix(sentences: bytes, width: int) -> np.ndarray:
    """A stored sentence-vector matrix, one row of ``width`` floats per sentence."""
    return np.frombuffer(sentences, dtype=np.float32).reshape(-1, width)


def passage_vector(vector: bytes) -> np.ndarray:
    """A stored passage vector."""
    return np.frombuffer(vector, dtype=np.float32)


def stored_vectors(vector: bytes, sentences: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A stored passage vector and its sentence-vector matrix."""
    passage = passage_vector(vector)
    return passage, sentence_matrix(sentences, passage.size)


class StoredDocument:
    """A registry row: metadata, content hash and full normalised text."""

    def __init__(
        self,
        meta: DocumentMeta,
        content_hash: str,
        text: str,
        chunk_count: int,
        ingested_at: str,
        page_starts: list[int],
    ) -> None:
        self.meta = meta
        self.content_hash = content_hash
        self.text = text
        self.chunk_count = chunk_count
        self.ingested_at = ingested_at
        self.page_starts = page_starts


def stored_document(row) -> StoredDocument:
    """A ``documents`` row (meta JSON, hash, text, chunk count, ingested at, page starts)."""
    meta_json, content_hash, text, chunk_count, ingested_at, pages = row
    return StoredDocument(
        DocumentMeta.model_validate_json(meta_json),
        content_hash,
        text,
        chunk_count,
        ingested_at,
        json.loads(pages),
    )
