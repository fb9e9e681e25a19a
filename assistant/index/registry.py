"""The registry: which documents are indexed, at which content hash, and their chunks.

It is the source of truth. Chroma and BM25 are derived from it: a chunk found by either is only
answered from if the registry knows its id, and chunk ids embed the document's content hash.
So an ingest interrupted at any point leaves the previously committed state answering
correctly; the next ingest removes whatever the interrupted one left behind.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.core.models import Chunk, DocumentMeta
from assistant.index.registry_rows import (
    StoredDocument,
    chunk_rows,
    passage_vector,
    stored_document,
    stored_vectors,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    meta_json TEXT NOT NULL,
    text TEXT NOT NULL,
    page_starts_json TEXT NOT NULL DEFAULT '[]',
    chunk_count INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    chunk_json TEXT NOT NULL,
    embed_text TEXT NOT NULL,
    vector BLOB NOT NULL,
    sentence_vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, ordinal);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metadata_edits (
    doc_id TEXT PRIMARY KEY,
    fields_json TEXT NOT NULL,
    edited_at TEXT NOT NULL
);
"""


class Registry:
    """SQLite-backed store of documents and chunks (text, vectors, sentence vectors)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._conn.executescript(_SCHEMA)

    @property
    def _conn(self) -> sqlite3.Connection:
        """One connection per thread: SQLite connections must not be shared between threads."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
            self._local = threading.local()

    # -- reads -------------------------------------------------------------------------------
    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in the block (on this thread) see one committed state: the generation and
        the rows that belong to it, whatever a writer commits meanwhile (SQLite WAL)."""
        connection = self._conn
        if connection.in_transaction:  # already inside one
            yield
            return
        connection.execute("BEGIN")
        try:
            yield
        finally:
            connection.execute("COMMIT")

    def generation(self) -> int:
        row = self._conn.execute("SELECT value FROM state WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def document_hashes(self) -> dict[str, str]:
        rows = self._conn.execute("SELECT doc_id, content_hash FROM documents").fetchall()
        return dict(rows)

    def document_sources(self) -> dict[str, str | None]:
        """Each document's source path, without parsing its metadata (a folder ingest checks
        every one for files gone from the folder)."""
        query = "SELECT doc_id, json_extract(meta_json, '$.source_path') FROM documents"
        return dict(self._conn.execute(query).fetchall())

    def documents(self) -> list[StoredDocument]:
        rows = self._conn.execute(
            "SELECT meta_json, content_hash, '', chunk_count, ingested_at, page_starts_json "
            "FROM documents ORDER BY doc_id"
        ).fetchall()
        return [stored_document(row) for row in rows]

    def document(self, doc_id: str, with_text: bool = True) -> StoredDocument | None:
        column = "text" if with_text else "''"
        row = self._conn.execute(
            f"SELECT meta_json, content_hash, {column}, chunk_count, ingested_at, "
            "page_starts_json FROM documents WHERE doc_id=?",
            (doc_id,),
        ).fetchone()
        return stored_document(row) if row else None

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self._conn.execute(
            "SELECT chunk_json FROM chunks WHERE chunk_id=?", (chunk_id,)
        ).fetchone()
        return Chunk.model_validate_json(row[0]) if row else None

    def chunks(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        result: dict[str, Chunk] = {}
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._conn.execute(
                f"SELECT chunk_id, chunk_json FROM chunks WHERE chunk_id IN ({marks})", part
            ).fetchall()
            result.update({cid: Chunk.model_validate_json(data) for cid, data in rows})
        return result

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        rows = self._conn.execute(
            "SELECT chunk_json FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,)
        ).fetchall()
        return [Chunk.model_validate_json(row[0]) for row in rows]

    def iter_chunks(self) -> Iterator[tuple[Chunk, str]]:
        """Every chunk with its embedded text, in a stable order (for the keyword index)."""
        cursor = self._conn.execute(
            "SELECT chunk_json, embed_text FROM chunks ORDER BY doc_id, ordinal"
        )
        for chunk_json, embed_text in cursor:
            yield Chunk.model_validate_json(chunk_json), embed_text

    def recommendation_chunk_ids(self, number: str) -> list[str]:
        """Ids of passages tagged as recommendation ``number`` ("3", "A"), in document order."""
        rows = self._conn.execute(
            "SELECT chunk_id FROM chunks WHERE json_extract(chunk_json, '$.recommendation') = ? "
            "ORDER BY doc_id, ordinal",
            (number,),
        ).fetchall()
        return [row[0] for row in rows]

    def iter_sentence_vectors(self) -> Iterator[tuple[str, np.ndarray]]:
        """(chunk id, sentence-vector matrix) for every chunk."""
        return ((row[0], row[3]) for row in self.iter_passage_rows())

    def iter_passage_rows(self) -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
        """(chunk id, chunk JSON, passage vector, sentence vectors) of every chunk, in order."""
        columns = "chunk_id, chunk_json, vector, sentence_vectors"
        cursor = self._conn.execute(f"SELECT {columns} FROM chunks ORDER BY doc_id, ordinal")
        for chunk_id, chunk_json, vector, sentences in cursor:
            yield chunk_id, chunk_json, *stored_vectors(vector, sentences)

    def vectors(self, chunk_ids: Iterable[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Passage vector and sentence-vector matrix for each known id."""
        ids = list(chunk_ids)
        result: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._conn.execute(
                "SELECT chunk_id, vector, sentence_vectors FROM chunks "
                f"WHERE chunk_id IN ({marks})",
                part,
            ).fetchall()
            for chunk_id, vector, sentences in rows:
                result[chunk_id] = stored_vectors(vector, sentences)
        return result

    def passages(self, chunk_ids: Iterable[str]) -> dict[str, tuple[Chunk, np.ndarray]]:
        """Chunk and passage vector of each known id in one read, without the sentence vectors
        (the retriever takes those from the in-memory sentence index)."""
        ids, result = list(chunk_ids), {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            query = f"SELECT chunk_id, chunk_json, vector FROM chunks WHERE chunk_id IN ({marks})"
            for chunk_id, data, vector in self._conn.execute(query, part).fetchall():
                result[chunk_id] = (Chunk.model_validate_json(data), passage_vector(vector))
        return result

    def counts(self) -> tuple[int, int]:
        documents = self._conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks = self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return int(documents), int(chunks)

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._conn.execute("SELECT chunk_id FROM chunks")}

    # -- writes ------------------------------------------------------------------------------
    def replace_document(
        self,
        meta: DocumentMeta,
        content_hash: str,
        text: str,
        page_starts: list[int],
        chunks: list[Chunk],
        embed_texts: list[str],
        vectors: np.ndarray,
        sentence_vectors: list[np.ndarray],
    ) -> list[str]:
        """Atomically swap in a document's new version; return the chunk ids it replaced."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                old = self._ids_of(meta.doc_id)
                self._conn.execute("DELETE FROM chunks WHERE doc_id=?", (meta.doc_id,))
                self._conn.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?)",
                    (
                        meta.doc_id,
                        content_hash,
                        meta.model_dump_json(),
                        text,
                        json.dumps(page_starts),
                        len(chunks),
                        now,
                    ),
                )
                self._conn.executemany(
                    "INSERT INTO chunks VALUES (?,?,?,?,?,?,?)",
                    chunk_rows(chunks, embed_texts, vectors, sentence_vectors),
                )
                self._bump_generation()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        new_ids = {c.chunk_id for c in chunks}
        return [chunk_id for chunk_id in old if chunk_id not in new_ids]

    def delete_document(self, doc_id: str) -> list[str]:
        """Remove a document; return the chunk ids that belonged to it."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                ids = self._ids_of(doc_id)
                self._conn.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                self._conn.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
                self._bump_generation()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return ids

    # -- metadata edits: a table of their own, so they outlive re-ingests and restarts --------
    def metadata_edits(self, doc_id: str) -> dict[str, str]:
        """The fields a user has set on ``doc_id`` (applied whenever its metadata is built)."""
        row = self._conn.execute(
            "SELECT fields_json FROM metadata_edits WHERE doc_id=?", (doc_id,)
        ).fetchone()
        return json.loads(row[0]) if row else {}

    def save_metadata_edits(
        self, doc_id: str, edits: dict[str, str], meta: DocumentMeta, embed_texts: dict[str, str]
    ) -> None:
        """Store a document's edits, its metadata with them applied and its passages' new
        embed texts (the keyword index reads them) in one transaction, and move the generation
        on so everything keyed by it (answers, filters, BM25) sees the change at once."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if edits:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO metadata_edits VALUES (?,?,?)",
                        (doc_id, json.dumps(edits, sort_keys=True), now),
                    )
                else:
                    self._conn.execute("DELETE FROM metadata_edits WHERE doc_id=?", (doc_id,))
                self._conn.execute(
                    "UPDATE documents SET meta_json=? WHERE doc_id=?",
                    (meta.model_dump_json(), doc_id),
                )
                self._conn.executemany(
                    "UPDATE chunks SET embed_text=? WHERE chunk_id=? AND doc_id=?",
                    [(text, chunk_id, doc_id) for chunk_id, text in embed_texts.items()],
                )
                self._bump_generation()
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _ids_of(self, doc_id: str) -> list[str]:
        query = "SELECT chunk_id FROM chunks WHERE doc_id=?"
        return [row[0] for row in self._conn.execute(query, (doc_id,))]

    def _bump_generation(self) -> None:
        self._conn.execute(
            "INSERT INTO state VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
            "SET value = CAST(value AS INTEGER) + 1"
        )
