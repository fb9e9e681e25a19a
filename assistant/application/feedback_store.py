"""Thumbs up/down and comments on answers, kept in SQLite under the data folder."""

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


class FeedbackStore:
    """Append-only feedback log; safe to share between threads."""

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

    def add(self, item: FeedbackIn) -> FeedbackRecord:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO feedback (rating, question, answer, comment, chunk_ids, created_at) "
                "VALUES (?,?,?,?,?,?)",
                (
                    item.rating,
                    item.question,
                    item.answer,
                    item.comment,
                    "\n".join(item.chunk_ids),
                    created,
                ),
            )
            self._conn.commit()
        return FeedbackRecord(id=int(cursor.lastrowid), created_at=created, **item.model_dump())

    def list(self, limit: int = 100, offset: int = 0) -> list[FeedbackRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, rating, question, answer, comment, chunk_ids, created_at FROM feedback "
                "ORDER BY id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [
            FeedbackRecord(
                id=r[0],
                rating=r[1],
                question=r[2],
                answer=r[3],
                comment=r[4],
                chunk_ids=[c for c in r[5].split("\n") if c],
                created_at=r[6],
            )
            for r in rows
        ]

    def close(self) -> None:
        self._conn.close()
