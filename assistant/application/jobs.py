"""Uploads as background jobs: checked at once, indexed by one worker thread, watched, cancelled.

``UploadJobs.submit`` runs every check an upload can fail without being parsed (the one policy,
``DocumentService.check_upload``: 413, 415, 422, 409) in the caller's request, then queues the
upload and returns its ``Job`` at once. One worker thread runs the queue in order, because the
index has one writer anyway (``IndexStore.writing``); questions never wait for it, they answer
from the committed index until the job's one registry commit.

Progress comes from the pipeline's progress callback (passages and sentences embedded of the
total); the same callback is where a job stops when it is cancelled (it raises
``JobCancelled``), which is always before the upload's one registry transaction, so a
cancelled job commits nothing. A cancel that arrives once the embedding is done is too late:
the job finishes and says so (``cancel_requested`` stays true, its state is ``succeeded``).

Records live in ``JobStore`` (SQLite under the data folder), so a job outlives the request that
started it: a client that disconnects can find it in ``GET /api/v1/jobs`` and cancel it. When a
process that ran jobs dies, the next ``UploadJobs`` on the data folder closes its jobs: failed
("interrupted by a restart; upload again") unless the registry shows the upload's bytes were
committed (then succeeded, with a note), so job records agree with the index.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from assistant.application.documents import Caller, DocumentService, PendingUpload
from assistant.application.job_store import (
    ACTIVE,
    Job,
    JobCancelled,
    JobError,
    JobProgress,
    JobResult,
    JobState,
    JobStore,
    new_job_id,
    now,
)
from assistant.application.stores import open_job_store
from assistant.core.errors import NotFoundError, UnreadableDocumentError, UploadRefused
from assistant.index.registry import StoredDocument

logger = logging.getLogger("assistant.jobs")
SAVE_EVERY = 0.5  # seconds between progress writes to the job store
INTERRUPTED = "The server stopped while this upload was running; nothing was added. Upload again."


class QueueFull(UploadRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(
            503,
            "queue_full",
            f"{limit} uploads are already waiting to be indexed (ASSISTANT_MAX_QUEUED_UPLOADS); "
            "nothing was queued. Try again when one has finished (GET /api/v1/jobs).",
        )


class JobFinished(UploadRefused):
    def __init__(self, job: Job) -> None:
        super().__init__(
            409,
            "job_finished",
            f"Job {job.id} has already {job.state}; there is nothing to cancel"
            + (" (delete the document to remove it)." if job.state == "succeeded" else "."),
        )


class UploadJobs:
    """The queue of upload jobs of one process, and every job record on its data folder."""

    def __init__(self, writes: DocumentService, folder: Path, max_queued: int) -> None:
        self.writes = writes
        self.store: JobStore = open_job_store(folder, writes.store.settings)
        self.max_queued = max_queued
        self._cond = threading.Condition()
        self._queue: deque[tuple[Job, PendingUpload]] = deque()
        self._live: dict[str, Job] = {}  # queued and running jobs of this process
        self._cancel: dict[str, threading.Event] = {}
        self._worker: threading.Thread | None = None
        self._closed = False
        self._close_stale()
        self.store.prune()

    # -- the API -----------------------------------------------------------------------------
    def submit(
        self,
        data: bytes,
        raw_name: str | None,
        *,
        replace: bool = False,
        metadata: dict[str, Any] | str | None = None,
        caller: Caller,
    ) -> Job:
        """Check the upload now (raising its refusal), queue it and return its job."""
        with self._cond:
            if len(self._queue) >= self.max_queued:
                raise QueueFull(self.max_queued)
        pending = self.writes.check_upload(
            data, raw_name, replace=replace, metadata=metadata, caller=caller
        )
        job = Job(
            id=new_job_id(),
            state="queued",
            file_name=pending.name,
            doc_id=pending.doc_id,
            replace=replace,
            content_hash=pending.digest,
            size_bytes=len(data),
            via=caller.via,
            created_at=now(),
        )
        with self._cond:
            if self._closed:
                self.writes.drop_upload(pending, job.id, "the server is stopping")
                raise UploadRefused(503, "shutting_down", "The server is stopping; upload again.")
            self.store.save(job)
            self._live[job.id] = job
            self._cancel[job.id] = threading.Event()
            self._queue.append((job, pending))
            self._start_worker()
            self._cond.notify_all()
            return job.model_copy(deep=True)

    def get(self, job_id: str) -> Job:
        with self._cond:
            live = self._live.get(job_id)
            if live is not None:
                return live.model_copy(deep=True)
        job = self.store.get(job_id)
        if job is None:
            raise NotFoundError(f"No upload job with id {job_id!r}.")
        return job

    def recent(self, limit: int = 20, state: JobState | None = None) -> list[Job]:
        """Newest first, this process's running jobs with their latest progress."""
        jobs = self.store.recent(limit, state)
        with self._cond:
            return [self._live.get(j.id, j).model_copy(deep=True) for j in jobs]

    def cancel(self, job_id: str, wait: float = 2.0) -> Job:
        """Stop a job: a queued one at once, a running one at its next progress report (waiting
        up to ``wait`` seconds to say how it ended). ``JobFinished`` (409) if it had ended."""
        with self._cond:
            job = self._live.get(job_id)
            if job is not None:
                job.cancel_requested = True
                self._cancel[job_id].set()
                queued = next((q for q in self._queue if q[0].id == job_id), None)
                if queued is not None:
                    self._queue.remove(queued)
                    self.writes.drop_upload(queued[1], job_id, "cancelled while queued")
                    self._finish(job, "cancelled")
                else:
                    self.store.request_cancel(job_id)
                    self._cond.wait_for(lambda: job_id not in self._live, timeout=wait)
                return job.model_copy(deep=True)
        stored = self.store.request_cancel(job_id)  # maybe another server process's job
        if stored is None:
            raise NotFoundError(f"No upload job with id {job_id!r}.")
        if stored.state not in ACTIVE:
            raise JobFinished(stored)
        return stored

    def wait(self, job_id: str, timeout: float) -> Job:
        """The job once it has ended, or as it is after ``timeout`` seconds."""
        with self._cond:
            self._cond.wait_for(lambda: job_id not in self._live, timeout=timeout)
        return self.get(job_id)

    def close(self, timeout: float = 10.0) -> None:
        """Stop: queued jobs are cancelled, a running one is asked to stop."""
        with self._cond:
            self._closed = True
            while self._queue:
                job, pending = self._queue.popleft()
                self.writes.drop_upload(pending, job.id, "the server stopped")
                self._fail(job, "interrupted", INTERRUPTED, 503)
            for event in self._cancel.values():
                event.set()
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(timeout)
            if self._worker.is_alive():  # still reading its file: the process exit ends it
                logger.warning("An upload job was still running at shutdown")
                return
        self.store.close()

    # -- the worker --------------------------------------------------------------------------
    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="upload-jobs", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return
                job, pending = self._queue.popleft()
                job.state, job.started_at = "running", now()
                job.progress = JobProgress(stage="reading")
                self.store.save(job)
            self._run(job, pending)

    def _run(self, job: Job, pending: PendingUpload) -> None:
        started = time.perf_counter()
        try:
            outcome = self.writes.run_upload(pending, self._progress_of(job), job.id)
        except JobCancelled:
            with self._cond:
                if self._closed:
                    self._fail(job, "interrupted", INTERRUPTED, 503)
                else:
                    self._finish(job, "cancelled")
            return
        except (UploadRefused, UnreadableDocumentError) as exc:
            code = getattr(exc, "code", "unreadable_document")
            with self._cond:
                self._fail(job, code, str(exc), getattr(exc, "status", 422))
            return
        except Exception:
            logger.exception("Upload job %s (%s) failed", job.id, job.file_name)
            with self._cond:
                self._fail(job, "error", "The upload failed; the details are in the server log.")
            return
        result = JobResult(
            doc_id=outcome.doc_id,
            status=outcome.status,  # type: ignore[arg-type]
            chunk_count=outcome.chunk_count,
            title=outcome.title,
            file_name=outcome.file_name,
            seconds=round(time.perf_counter() - started, 3),
        )
        with self._cond:
            self._finish(job, "succeeded", result)

    def _progress_of(self, job: Job):
        """The pipeline's progress callback for ``job``: records the progress (saved at most
        every ``SAVE_EVERY`` seconds) and raises ``JobCancelled`` once the job is cancelled
        here or, seen when it saves, from another process."""
        cancelled = self._cancel[job.id]
        saved = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            with self._cond:
                job.progress = JobProgress(
                    stage="committing" if total and done >= total else "embedding",
                    done=done,
                    total=total,
                    percent=round(100.0 * done / total, 1) if total else 0.0,
                )
                if time.monotonic() - saved[0] >= SAVE_EVERY:
                    saved[0] = time.monotonic()
                    if self.store.cancel_requested(job.id):
                        job.cancel_requested = True
                        cancelled.set()
                    self.store.save(job)
            if cancelled.is_set():
                raise JobCancelled(job.id)

        return progress

    # -- endings (called holding self._cond) -------------------------------------------------
    def _finish(self, job: Job, state: JobState, result: JobResult | None = None) -> None:
        job.state, job.finished_at, job.result = state, now(), result
        if state == "succeeded":
            job.progress.stage, job.progress.percent = "done", 100.0
        self._end(job)

    def _fail(self, job: Job, code: str, message: str, status: int = 500) -> None:
        job.state, job.finished_at = "failed", now()
        job.error = JobError(code=code, message=message, status=status)
        self._end(job)

    def _end(self, job: Job) -> None:
        self.store.save(job)
        self._live.pop(job.id, None)
        self._cancel.pop(job.id, None)
        self._cond.notify_all()

    def _close_stale(self) -> None:
        """Close the jobs of processes that died: failed, or succeeded if committed."""
        for job in self.store.stale():
            stored = self.writes.store.registry.document(job.doc_id, with_text=False)
            job.finished_at = now()
            if _committed(stored, job):
                total = job.progress.total
                job.state = "succeeded"
                job.progress = JobProgress(stage="done", done=total, total=total, percent=100.0)
                job.result = JobResult(
                    doc_id=job.doc_id,
                    status="updated" if job.replace else "added",
                    chunk_count=stored.chunk_count,
                    title=stored.meta.title,
                    file_name=job.file_name,
                    seconds=0.0,
                    note="committed before the server stopped; its job record was closed later",
                )
            else:
                job.state = "failed"
                job.error = JobError(code="interrupted", message=INTERRUPTED, status=503)
            self.store.save(job)
            self._audit_closed(job)

    def _audit_closed(self, job: Job) -> None:
        audit = self.writes.audit
        if audit is None:
            return
        try:
            audit.record(
                "replace" if job.replace else "upload",
                result="added" if job.state == "succeeded" else "interrupted",
                status=202,
                via=job.via,
                doc_id=job.doc_id,
                file_name=job.file_name,
                content_hash=job.content_hash,
                detail=f"job {job.id}: closed after a restart ({job.state})",
            )
        except Exception:
            logger.exception("Could not write the audit row for job %s", job.id)


def _committed(stored: StoredDocument | None, job: Job) -> bool:
    return stored is not None and stored.content_hash.split(":", 1)[0] == job.content_hash
