"""Feedback, the audit trail and upload-job records in PostgreSQL (ASSISTANT_DATABASE_URL).

The same interfaces as the SQLite stores (``FeedbackStore`` with its ``audit``, ``JobStore``),
so with a shared database every API server lists the same feedback and audit rows and any of
them can report, list or cancel a job another one runs. Which jobs died with their server is
told by a lock here too: each job store holds a session advisory lock named after its owner
for as long as its process lives (PostgreSQL drops it when the session ends), so a queued or
running job whose owner's lock is free belongs to a dead server, wherever that server ran.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from assistant.application.feedback_store import (
    AUDIT_FIELDS,
    FEEDBACK_COLUMNS,
    AuditAction,
    AuditRecord,
    FeedbackIn,
    FeedbackRecord,
    audit_record,
    feedback_record,
    feedback_row,
)
from assistant.application.job_store import KEEP_JOBS, Job, JobState, job_from_row
from assistant.index.pg_support import (
    AdvisoryLock,
    connect,
    create_schema,
    lock_key,
    reports_unavailable,
)

_FEEDBACK_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS feedback (id BIGSERIAL PRIMARY KEY, rating TEXT NOT NULL, "
    "question TEXT NOT NULL, answer TEXT NOT NULL, comment TEXT, chunk_ids TEXT NOT NULL, "
    "created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit (id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, "
    "action TEXT NOT NULL, via TEXT NOT NULL, client TEXT, doc_id TEXT, file_name TEXT, "
    "content_hash TEXT, result TEXT NOT NULL, status INTEGER NOT NULL, detail TEXT)",
]
_JOB_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, seq BIGSERIAL, state TEXT NOT NULL, "
    "owner TEXT NOT NULL, created_at TEXT NOT NULL, cancel INTEGER NOT NULL DEFAULT 0, "
    "body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at)",
]
_NEWEST = 'ORDER BY created_at COLLATE "C" DESC, seq DESC'


class _Database:
    """One autocommit connection shared by a store's threads, reopened if it breaks."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock = threading.Lock()
        self._connection: Any = connect(url)

    def execute(self, query: str, args: tuple | list = ()) -> list[tuple]:
        with self.lock:
            if self._connection.broken or self._connection.closed:
                self._connection = connect(self.url)
            cursor = self._connection.execute(query, args)
            return cursor.fetchall() if cursor.description else []

    @property
    def connection(self) -> Any:
        return self._connection

    def close(self) -> None:
        with self.lock:
            self._connection.close()


@reports_unavailable
class PgAuditLog:
    """Append-only audit trail of document changes (the interface of ``AuditLog``)."""

    def __init__(self, db: _Database) -> None:
        self._db = db

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
        (new_id,) = self._db.execute(
            "INSERT INTO audit (at, action, via, client, doc_id, file_name, content_hash, "
            "result, status, detail) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
            row,
        )[0]
        return audit_record(new_id, row)

    def list(
        self, limit: int = 100, offset: int = 0, doc_id: str | None = None
    ) -> list[AuditRecord]:
        """Newest first; only one document's entries when ``doc_id`` is given."""
        where, args = ("WHERE doc_id = %s ", [doc_id]) if doc_id else ("", [])
        rows = self._db.execute(
            f"SELECT {', '.join(AUDIT_FIELDS)} FROM audit {where}"
            "ORDER BY id DESC LIMIT %s OFFSET %s",
            (*args, limit, offset),
        )
        return [AuditRecord(**dict(zip(AUDIT_FIELDS, r, strict=True))) for r in rows]


@reports_unavailable
class PgFeedbackStore:
    """Append-only feedback log, and the audit trail as ``audit`` (``FeedbackStore``'s API)."""

    def __init__(self, url: str) -> None:
        self._db = _Database(url)
        create_schema(self._db.connection, "feedback", _FEEDBACK_SCHEMA)
        self.audit = PgAuditLog(self._db)

    def add(self, item: FeedbackIn) -> FeedbackRecord:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        (new_id,) = self._db.execute(
            "INSERT INTO feedback (rating, question, answer, comment, chunk_ids, created_at) "
            "VALUES (%s,%s,%s,%s,%s,%s) RETURNING id",
            feedback_row(item, created),
        )[0]
        return FeedbackRecord(id=int(new_id), created_at=created, **item.model_dump())

    def list(self, limit: int = 100, offset: int = 0) -> list[FeedbackRecord]:
        rows = self._db.execute(
            f"SELECT {FEEDBACK_COLUMNS} FROM feedback ORDER BY id DESC LIMIT %s OFFSET %s",
            (limit, offset),
        )
        return [feedback_record(r) for r in rows]

    def close(self) -> None:
        self._db.close()


@reports_unavailable
class PgJobStore:
    """Job records shared by every server on one database (``JobStore``'s API)."""

    def __init__(self, url: str) -> None:
        self.owner = uuid.uuid4().hex[:12]
        self._db = _Database(url)
        create_schema(self._db.connection, "jobs", _JOB_SCHEMA)
        self._owner_lock = AdvisoryLock(url, _owner_key(self.owner))
        if not self._owner_lock.acquire(0):  # a fresh name: nobody else holds it
            raise RuntimeError(f"job owner {self.owner} is already taken")

    def save(self, job: Job) -> None:
        self._db.execute(
            "INSERT INTO jobs (id, state, owner, created_at, body) VALUES (%s,%s,%s,%s,%s) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
            (job.id, job.state, self.owner, job.created_at, job.model_dump_json()),
        )

    def request_cancel(self, job_id: str) -> Job | None:
        """Ask a job of any server to stop (its owner looks at its next progress report)."""
        self._db.execute(
            "UPDATE jobs SET cancel = 1 WHERE id = %s AND state IN ('queued', 'running')",
            (job_id,),
        )
        return self.get(job_id)

    def cancel_requested(self, job_id: str) -> bool:
        rows = self._db.execute("SELECT cancel FROM jobs WHERE id = %s", (job_id,))
        return bool(rows and rows[0][0])

    def prune(self, keep: int = KEEP_JOBS) -> None:
        """Drop the oldest finished records beyond ``keep``."""
        self._db.execute(
            "DELETE FROM jobs WHERE state NOT IN ('queued', 'running') AND id NOT IN "
            f"(SELECT id FROM jobs {_NEWEST} LIMIT %s)",
            (keep,),
        )

    def get(self, job_id: str) -> Job | None:
        rows = self._db.execute("SELECT body, cancel FROM jobs WHERE id = %s", (job_id,))
        return job_from_row(*rows[0]) if rows else None

    def recent(self, limit: int, state: JobState | None = None) -> list[Job]:
        where, args = ("WHERE state = %s ", [state]) if state else ("", [])
        rows = self._db.execute(
            f"SELECT body, cancel FROM jobs {where}{_NEWEST} LIMIT %s", (*args, limit)
        )
        return [job_from_row(*r) for r in rows]

    def stale(self) -> list[Job]:
        """Queued or running jobs whose owner server is gone (its advisory lock is free)."""
        rows = self._db.execute(
            "SELECT owner, body, cancel FROM jobs WHERE state IN ('queued', 'running') "
            'AND owner != %s ORDER BY created_at COLLATE "C"',
            (self.owner,),
        )
        alive: dict[str, bool] = {}
        found = []
        probe = AdvisoryLock(self._db.url, 0)
        try:
            for owner, body, cancel in rows:
                if owner not in alive:
                    probe.key = _owner_key(owner)
                    alive[owner] = not probe.is_free()
                if not alive[owner]:
                    found.append(job_from_row(body, cancel))
        finally:
            probe.close()
        return found

    def close(self) -> None:
        self._db.close()
        self._owner_lock.close()  # ending the session releases the owner's lock


def _owner_key(owner: str) -> int:
    return lock_key(f"job-owner:{owner}")
