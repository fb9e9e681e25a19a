"""Feedback on answers and the audit trail of document changes, in one SQLite file.

Both are append-only: thumbs up/down and comments on answers (``FeedbackStore``), and every
upload, replace and delete with its time, client, document id, content hash and result
(``AuditLog``, ``FeedbackStore.audit``). Councils answer for what their tools said and when; the
audit says which version of a document was in the index at a given time. With a shared
database both live there, for every server alike (``pg_stores``, chosen by
``stores.open_feedback_store``).
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class FeedbackIn(BaseModel):
    """What a user says about one answer."""

    rating: Literal["up", "down"]
    question: str = Field(min_length=1, max_length=20000)
    answer: str = Field("", max_length=100000)
    comment: str | None = Field(None, max_length=5000)
    chunk_ids: list[str] = Field(default_factory=list, max_length=100)


class FeedbackRecord(FeedbackIn):
    id: int
    created_at: str


AuditAction = Literal["upload", "replace", "delete"]


class AuditRecord(BaseModel):
    """One attempted change to the library, whatever its result."""

    id: int
    at: str = Field(description="UTC time, ISO 8601 with milliseconds.")
    action: AuditAction
    via: str = Field(description="api, ui or cli.")
    client: str | None = Field(None, description="The client's address, as the server saw it.")
    doc_id: str | None = None
    file_name: str | None = None
    content_hash: str | None = Field(
        None,
        description="SHA-256 of the uploaded (or deleted) bytes; chunk ids carry its first 12 "
        "characters, so an answer's citations name the version they came from.",
    )
    result: str = Field(description="added, updated, unchanged, duplicate, deleted, or the error.")
    status: int = Field(description="The HTTP status the request was answered with.")
    detail: str | None = None


class AuditLog:
    """Append-only audit trail of document changes, in the feedback store's SQLite file."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self._conn = conn
        self._lock = lock
        with self._lock:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "at TEXT NOT NULL, action TEXT NOT NULL, via TEXT NOT NULL, client TEXT, "
                "doc_id TEXT, file_name TEXT, content_hash TEXT, result TEXT NOT NULL, "
                "status INTEGER NOT NULL, detail TEXT)"
            )
            self._conn.commit()

    def record(
        self,
        action: AuditAction,
        *,
        result: str,
        status: int,
        via: str = "api",
        client: str | None = None,
        doc_id: str | None = None,
        file_name: str | None = None,
        content_hash: str | None = None,
        detail: str | None = None,
    ) -> AuditRecord:
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        row = (at, action, via, client, doc_id, file_name, content_hash, result, status, detail)
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO audit (at, action, via, client, doc_id, file_name, content_hash, "
                "result, status, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
                row,
            )
            self._conn.commit()
        return audit_record(cursor.lastrowid, row)

    def list(
        self, limit: int = 100, offset: int = 0, doc_id: str | None = None
    ) -> list[AuditRecord]:
        """Newest first; only one document's entries when ``doc_id`` is given."""
        where, args = ("WHERE doc_id = ? ", [doc_id]) if doc_id else ("", [])
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {', '.join(AUDIT_FIELDS)} FROM audit {where}"
                "ORDER BY id DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return [AuditRecord(**dict(zip(AUDIT_FIELDS, r, strict=True))) for r in rows]


def audit_record(new_id: int, row: tuple) -> AuditRecord:
    """The record of an audit row just inserted (``row``: every field but the id)."""
    return AuditRecord(id=int(new_id), **dict(zip(AUDIT_FIELDS[1:], row, strict=True)))


FEEDBACK_COLUMNS = "id, rating, question, answer, comment, chunk_ids, created_at"


def feedback_row(item: FeedbackIn, created: str) -> tuple:
    """The stored values of ``item`` (its chunk ids one per line), after the id."""
    return (
        item.rating,
        item.question,
        item.answer,
        item.comment,
        "\n".join(item.chunk_ids),
        created,
    )


def feedback_record(row: tuple) -> FeedbackRecord:
    """A ``FEEDBACK_COLUMNS`` row."""
    return FeedbackRecord(
        id=row[0],
        rating=row[1],
        question=row[2],
        answer=row[3],
        comment=row[4],
        chunk_ids=[c for c in row[5].split("\n") if c],
        created_at=row[6],
    )


AUDIT_FIELDS = (
    "id",
    "at",
    "action",
    "via",
    "client",
    "doc_id",
    "file_name",
    "content_hash",
    "result",
    "status",
    "detail",
)


class FeedbackStore:
    """Append-only feedback log (and, as ``audit``, the audit trail); safe to share between
    threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "rating TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, comment TEXT, "
            "chunk_ids TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        self._conn.commit()
        self.audit = AuditLog(self._conn, self._lock)

    def add(self, item: FeedbackIn) -> FeedbackRecord:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO feedback (rating, question, answer, comment, chunk_ids, created_at) "
                "VALUES (?,?,?,?,?,?)",
                feedback_row(item, created),
            )
            self._conn.commit()
        return FeedbackRecord(id=int(cursor.lastrowid), created_at=created, **item.model_dump())

    def list(self, limit: int = 100, offset: int = 0) -> list[FeedbackRecord]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {FEEDBACK_COLUMNS} FROM feedback ORDER BY id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [feedback_record(r) for r in rows]

    def close(self) -> None:
        self._conn.close()
