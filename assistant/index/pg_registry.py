"""The registry in PostgreSQL: the same tables, transactions and answers as the SQLite one.

Chosen by ``registry_factory.open_registry`` when ASSISTANT_DATABASE_URL is set, so every API
server on every machine reads and writes one registry: the documents, their chunks with the
passage and sentence vectors (``bytea``, the same float32 bytes as SQLite's blobs), the
metadata edits and the generation counter that tells every reader to look again. The sentence
index and the BM25 build each server keeps are derived from these rows (see ``IndexStore``).

Same semantics as ``Registry``: a ``snapshot()`` is one REPEATABLE READ transaction (the
generation and the rows that belong to it, like SQLite's WAL read transaction); every write is
one transaction that moves the generation on. Rows come back in the order SQLite gives them:
text is ordered with the "C" collation (bytewise), whatever the database's own collation, so
two servers, or SQLite and PostgreSQL, build the same keyword index and rank ties alike.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np

from assistant.core.models import Chunk, DocumentMeta
from assistant.index.pg_support import (
    ThreadConnections,
    create_schema,
    in_transaction,
    reports_unavailable,
    unavailable_on_disconnect,
)
from assistant.index.registry_rows import (
    StoredDocument,
    chunk_rows,
    passage_vector,
    sentence_matrix,
    stored_document,
    stored_vectors,
)

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS documents (
        doc_id TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        meta_json TEXT NOT NULL,
        text TEXT NOT NULL,
        page_starts_json TEXT NOT NULL DEFAULT '[]',
        chunk_count INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS chunks (
        chunk_id TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        chunk_json TEXT NOT NULL,
        embed_text TEXT NOT NULL,
        vector BYTEA NOT NULL,
        sentence_vectors BYTEA NOT NULL
    )""",
    'CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks (doc_id COLLATE "C", ordinal)',
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS metadata_edits (
        doc_id TEXT PRIMARY KEY,
        fields_json TEXT NOT NULL,
        edited_at TEXT NOT NULL
    )""",
]
_IN_ORDER = 'ORDER BY doc_id COLLATE "C", ordinal'
_DOCUMENT = "meta_json, content_hash, {text}, chunk_count, ingested_at, page_starts_json"
_FETCH = 2000  # rows per round trip when streaming every chunk


@reports_unavailable
class PgRegistry:
    """PostgreSQL-backed store of documents and chunks; the interface of ``Registry``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = None  # no file: the SQLite registry's path, for code that logs it
        self._lock = threading.RLock()  # this process's writers, as in ``Registry``
        self._connections = ThreadConnections(url)
        create_schema(self._conn, "registry", _SCHEMA)

    @property
    def _conn(self) -> Any:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    def _rows(self, query: str, args: tuple | list = ()) -> list[tuple]:
        return self._conn.execute(query, args).fetchall()

    # -- reads -------------------------------------------------------------------------------
    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in the block (on this thread) see one committed state: the generation and
        the rows that belong to it, whatever a writer on any server commits meanwhile."""
        connection, began = self._begin_snapshot()
        if not began:  # already inside one
            yield
            return
        try:
            yield
        finally:
            connection.execute("COMMIT")

    @unavailable_on_disconnect
    def _begin_snapshot(self) -> tuple[Any, bool]:
        connection = self._conn
        if in_transaction(connection):
            return connection, False
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return connection, True

    def generation(self) -> int:
        rows = self._rows("SELECT value FROM state WHERE key = 'generation'")
        return int(rows[0][0]) if rows else 0

    def document_hashes(self) -> dict[str, str]:
        return dict(self._rows("SELECT doc_id, content_hash FROM documents"))

    def document_sources(self) -> dict[str, str | None]:
        """As ``Registry.document_sources``."""
        return dict(self._rows("SELECT doc_id, meta_json::jsonb ->> 'source_path' FROM documents"))

    def documents(self) -> list[StoredDocument]:
        columns = _DOCUMENT.format(text="''")
        query = f'SELECT {columns} FROM documents ORDER BY doc_id COLLATE "C"'
        return [stored_document(row) for row in self._rows(query)]

    def document(self, doc_id: str, with_text: bool = True) -> StoredDocument | None:
        columns = _DOCUMENT.format(text="text" if with_text else "''")
        rows = self._rows(f"SELECT {columns} FROM documents WHERE doc_id = %s", (doc_id,))
        return stored_document(rows[0]) if rows else None

    def chunk(self, chunk_id: str) -> Chunk | None:
        rows = self._rows("SELECT chunk_json FROM chunks WHERE chunk_id = %s", (chunk_id,))
        return Chunk.model_validate_json(rows[0][0]) if rows else None

    def chunks(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        rows = self._rows(
            "SELECT chunk_id, chunk_json FROM chunks WHERE chunk_id = ANY(%s)", (list(chunk_ids),)
        )
        return {chunk_id: Chunk.model_validate_json(data) for chunk_id, data in rows}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        rows = self._rows(f"SELECT chunk_json FROM chunks WHERE doc_id = %s {_IN_ORDER}", (doc_id,))
        return [Chunk.model_validate_json(row[0]) for row in rows]

    def iter_chunks(self) -> Iterator[tuple[Chunk, str]]:
        """Every chunk with its embedded text, in a stable order (for the keyword index)."""
        for chunk_json, embed_text in self._stream(
            f"SELECT chunk_json, embed_text FROM chunks {_IN_ORDER}"
        ):
            yield Chunk.model_validate_json(chunk_json), embed_text

    def recommendation_chunk_ids(self, number: str) -> list[str]:
        """Ids of passages tagged as recommendation ``number`` ("3", "A"), in document order."""
        rows = self._rows(
            "SELECT chunk_id FROM chunks WHERE (chunk_json::json ->> 'recommendation') = %s "
            + _IN_ORDER,
            (number,),
        )
        return [row[0] for row in rows]

    def iter_sentence_vectors(self) -> Iterator[tuple[str, np.ndarray]]:
        """(chunk id, sentence-vector matrix) for every chunk, for the in-memory index."""
        query = f"SELECT chunk_id, length(vector), sentence_vectors FROM chunks {_IN_ORDER}"
        for chunk_id, vector_bytes, sentences in self._stream(query):
            width = int(vector_bytes) // 4
            yield chunk_id, sentence_matrix(sentences, width)

    def iter_passage_rows(self) -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
        """(chunk id, chunk JSON, passage vector, sentence-vector matrix) for every chunk, for
        the in-memory index (which then parses a candidate without reading the registry)."""
        query = f"SELECT chunk_id, chunk_json, vector, sentence_vectors FROM chunks {_IN_ORDER}"
        for chunk_id, chunk_json, vector, sentences in self._stream(query):
            yield chunk_id, chunk_json, *stored_vectors(vector, sentences)

    def vectors(self, chunk_ids: Iterable[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Passage vector and sentence-vector matrix for each known id."""
        rows = self._rows(
            "SELECT chunk_id, vector, sentence_vectors FROM chunks WHERE chunk_id = ANY(%s)",
            (list(chunk_ids),),
        )
        return {chunk_id: stored_vectors(vector, sentences) for chunk_id, vector, sentences in rows}

    def passages(self, chunk_ids: Iterable[str]) -> dict[str, tuple[Chunk, np.ndarray]]:
        """Chunk and passage vector for each known id, in one read and without the sentence
        vectors (the retriever takes those from the in-memory sentence index)."""
        rows = self._rows(
            "SELECT chunk_id, chunk_json, vector FROM chunks WHERE chunk_id = ANY(%s)",
            (list(chunk_ids),),
        )
        return {
            chunk_id: (Chunk.model_validate_json(data), passage_vector(vector))
            for chunk_id, data, vector in rows
        }

    def counts(self) -> tuple[int, int]:
        rows = self._rows("SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM chunks)")
        return int(rows[0][0]), int(rows[0][1])

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._rows("SELECT chunk_id FROM chunks")}

    def _stream(self, query: str) -> Iterator[tuple]:
        """Rows a few thousand at a time (a server-side cursor inside a snapshot; outside one
        the result is read whole, as no cursor outlives its transaction)."""
        connection = self._conn
        if not in_transaction(connection):
            yield from connection.execute(query).fetchall()
            return
        with connection.cursor(name=f"stream_{uuid.uuid4().hex}") as cursor:
            cursor.itersize = _FETCH
            cursor.execute(query)
            yield from cursor

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
        rows = chunk_rows(chunks, embed_texts, vectors, sentence_vectors)
        with self._lock, self._conn.transaction():
            connection = self._conn
            old = self._ids_of(meta.doc_id)
            connection.execute("DELETE FROM chunks WHERE doc_id = %s", (meta.doc_id,))
            connection.execute(
                "INSERT INTO documents VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (doc_id) DO "
                "UPDATE SET content_hash = excluded.content_hash, meta_json = excluded.meta_json, "
                "text = excluded.text, page_starts_json = excluded.page_starts_json, "
                "chunk_count = excluded.chunk_count, ingested_at = excluded.ingested_at",
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
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO chunks VALUES (%s,%s,%s,%s,%s,%s,%s)", rows)
            self._bump_generation()
        new_ids = {c.chunk_id for c in chunks}
        return [chunk_id for chunk_id in old if chunk_id not in new_ids]

    def delete_document(self, doc_id: str) -> list[str]:
        """Remove a document; return the chunk ids that belonged to it."""
        with self._lock, self._conn.transaction():
            ids = self._ids_of(doc_id)
            self._conn.execute("DELETE FROM chunks WHERE doc_id = %s", (doc_id,))
            self._conn.execute("DELETE FROM documents WHERE doc_id = %s", (doc_id,))
            self._bump_generation()
        return ids

    def metadata_edits(self, doc_id: str) -> dict[str, str]:
        """The fields a user has set on ``doc_id`` (applied whenever its metadata is built)."""
        rows = self._rows("SELECT fields_json FROM metadata_edits WHERE doc_id = %s", (doc_id,))
        return json.loads(rows[0][0]) if rows else {}

    def save_metadata_edits(
        self, doc_id: str, edits: dict[str, str], meta: DocumentMeta, embed_texts: dict[str, str]
    ) -> None:
        """Edits, the metadata with them applied and the passages' new embed texts in one
        transaction that moves the generation on (as ``Registry.save_metadata_edits``)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._conn.transaction():
            connection = self._conn
            if edits:
                connection.execute(
                    "INSERT INTO metadata_edits VALUES (%s,%s,%s) ON CONFLICT (doc_id) DO UPDATE "
                    "SET fields_json = excluded.fields_json, edited_at = excluded.edited_at",
                    (doc_id, json.dumps(edits, sort_keys=True), now),
                )
            else:
                connection.execute("DELETE FROM metadata_edits WHERE doc_id = %s", (doc_id,))
            connection.execute(
                "UPDATE documents SET meta_json = %s WHERE doc_id = %s",
                (meta.model_dump_json(), doc_id),
            )
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE chunks SET embed_text = %s WHERE chunk_id = %s AND doc_id = %s",
                    [(text, chunk_id, doc_id) for chunk_id, text in embed_texts.items()],
                )
            self._bump_generation()

    def _ids_of(self, doc_id: str) -> list[str]:
        rows = self._rows("SELECT chunk_id FROM chunks WHERE doc_id = %s", (doc_id,))
        return [row[0] for row in rows]

    def _bump_generation(self) -> None:
        """+1, under the row's lock: two writers that got past the one-writer lock anyway
        (a lost database session) still never commit the same generation."""
        self._conn.execute(
            "INSERT INTO state VALUES ('generation', '1') ON CONFLICT (key) DO UPDATE "
            "SET value = (CAST(state.value AS BIGINT) + 1)::text"
        )
