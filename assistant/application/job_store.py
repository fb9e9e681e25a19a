"""Background upload jobs as records: what a job is, and where its record lives (SQLite).

A job's record is kept in ``<data_dir>/jobs/jobs.sqlite``: its state (queued, running,
succeeded, failed, cancelled), its progress, its result or error. The bytes being uploaded are
not kept: a job that was queued or running when its server died cannot be resumed, and is
closed when a server next opens the store (``JobStore.stale``; ``UploadJobs`` marks it failed,
or succeeded when the index shows its document was committed before the process died). With a
shared database the records live there instead (``pg_stores.PgJobStore``, chosen by
``stores.open_job_store``).

Which jobs died with their server is told by a lock, not by a guess: every process that runs
jobs holds an exclusive ``flock`` on ``jobs/owners/<owner>.lock`` for as long as it lives, and
the kernel drops it when the process dies, however it dies. A queued or running job whose
owner's lock can be taken belongs to a dead process; one whose owner's lock is held belongs to
a live server (another process on the same data folder) and is left alone.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, Field

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
ACTIVE: tuple[JobState, ...] = ("queued", "running")
KEEP_JOBS = 1000  # finished job records kept; the oldest beyond this are dropped


class JobCancelled(Exception):
    """Raised inside a job (by its progress callback) when it has been asked to stop."""


class JobProgress(BaseModel):
    stage: Literal["queued", "reading", "embedding", "committing", "done"] = Field(
        "queued",
        description="queued (waiting for the one writer); reading (loading the file and "
        "splitting it into passages); embedding (done/total move); committing (writing the "
        "new version to the index in one transaction, then the keyword index); done.",
    )
    done: int = Field(0, description="Passages and their sentences embedded so far.")
    total: int = Field(0, description="Passages and their sentences to embed (0 until known).")
    percent: float = Field(0.0, description="done / total as a percentage (100 when done).")


class JobResult(BaseModel):
    """What a finished upload did, as the synchronous upload answers it."""

    doc_id: str
    status: Literal["added", "updated", "unchanged", "duplicate"]
    chunk_count: int
    title: str
    file_name: str
    seconds: float = Field(description="Time the upload took once it started.")
    note: str | None = None


class JobError(BaseModel):
    code: str
    message: str
    status: int = Field(description="The HTTP status the same upload would have been refused with.")


class Job(BaseModel):
    """One background upload."""

    id: str
    kind: Literal["upload"] = "upload"
    state: JobState
    file_name: str
    doc_id: str = Field(description="The document id the upload is for.")
    replace: bool = False
    content_hash: str = Field(description="SHA-256 of the uploaded bytes.")
    size_bytes: int
    via: str = Field(description="api or ui.")
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    cancel_requested: bool = False
    progress: JobProgress = Field(default_factory=JobProgress)
    result: JobResult | None = None
    error: JobError | None = None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_job_id() -> str:
    return uuid.uuid4().hex[:16]


class JobStore:
    """Job records on disk, shared by every process on one data folder; thread-safe."""

    def __init__(self, folder: Path) -> None:
        self.owner = uuid.uuid4().hex[:12]
        self._owners = folder / "owners"
        self._owners.mkdir(parents=True, exist_ok=True)
        self._owner_lock = _file_lock(self._owners / f"{self.owner}.lock")
        self._owner_lock.acquire(timeout=0)  # a fresh name: nobody else holds it
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(folder / "jobs.sqlite", timeout=30, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, "
            "owner TEXT NOT NULL, created_at TEXT NOT NULL, cancel INTEGER NOT NULL DEFAULT 0, "
            "body TEXT NOT NULL)"
        )
        self._conn.execute("CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at)")
        self._conn.commit()

    # -- writes ------------------------------------------------------------------------------
    def save(self, job: Job) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO jobs (id, state, owner, created_at, body) VALUES (?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET state = excluded.state, body = excluded.body",
                (job.id, job.state, self.owner, job.created_at, job.model_dump_json()),
            )
            self._conn.commit()

    def request_cancel(self, job_id: str) -> Job | None:
        """Ask a job of any process to stop (its owner looks at its next progress report);
        the job as it is, or None if there is no such job."""
        with self._lock:
            self._conn.execute(
                "UPDATE jobs SET cancel = 1 WHERE id = ? AND state IN ('queued', 'running')",
                (job_id,),
            )
            self._conn.commit()
        return self.get(job_id)

    def cancel_requested(self, job_id: str) -> bool:
        """Whether someone (maybe another process) asked this job to stop."""
        with self._lock:
            row = self._conn.execute("SELECT cancel FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row[0])

    def prune(self, keep: int = KEEP_JOBS) -> None:
        """Drop the oldest finished records beyond ``keep``."""
        with self._lock:
            self._conn.execute(
                "DELETE FROM jobs WHERE state NOT IN ('queued', 'running') AND id NOT IN "
                "(SELECT id FROM jobs ORDER BY created_at DESC LIMIT ?)",
                (keep,),
            )
            self._conn.commit()

    # -- reads -------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT body, cancel FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        return job_from_row(*row) if row else None

    def recent(self, limit: int, state: JobState | None = None) -> list[Job]:
        where, args = ("WHERE state = ? ", [state]) if state else ("", [])
        with self._lock:
            rows = self._conn.execute(
                f"SELECT body, cancel FROM jobs {where}"
                "ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [job_from_row(*r) for r in rows]

    def stale(self) -> list[Job]:
        """Queued or running jobs whose owner process is gone (its lock is free)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT owner, body, cancel FROM jobs WHERE state IN ('queued', 'running') "
                "AND owner != ? ORDER BY created_at",
                (self.owner,),
            ).fetchall()
        alive: dict[str, bool] = {}
        found = []
        for owner, body, cancel in rows:
            if owner not in alive:
                alive[owner] = self._owner_alive(owner)
            if not alive[owner]:
                found.append(job_from_row(body, cancel))
        return found

    def _owner_alive(self, owner: str) -> bool:
        path = self._owners / f"{owner}.lock"
        if not path.exists():
            return False
        lock = _file_lock(path)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
        path.unlink(missing_ok=True)
        return False

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        self._owner_lock.release()
        (self._owners / f"{self.owner}.lock").unlink(missing_ok=True)


def job_from_row(body: str, cancel: int) -> Job:
    """A job from its stored body and cancel flag (a cancel may come from another process)."""
    job = Job.model_validate_json(body)
    job.cancel_requested = job.cancel_requested or bool(cancel)
    return job


def _file_lock(path: Path) -> FileLock:
    """An ``flock`` held by this process (whichever thread); the lock file is kept (filelock 4's
    ``preserve_lock_file``; filelock 3 keeps it anyway)."""
    try:
        return FileLock(path, thread_local=False, preserve_lock_file=True)
    except TypeError:  # filelock 3
        return FileLock(path, thread_local=False)
