"""Where feedback, the audit trail and upload-job records live: one choice, made from Settings.

Without ASSISTANT_DATABASE_URL, SQLite files under the data folder (``feedback.sqlite``,
``jobs/jobs.sqlite``), as always; with it, the shared PostgreSQL database (``pg_stores``), so
every API server sees the same rows. The PostgreSQL stores are imported only then.
"""

from __future__ import annotations

from pathlib import Path

from assistant.application.feedback_store import FeedbackStore
from assistant.application.job_store import JobStore
from assistant.core.settings import Settings


def open_feedback_store(settings: Settings) -> FeedbackStore:
    """``FeedbackStore`` or ``PgFeedbackStore`` (the same interface, and ``audit``)."""
    if settings.database_url:
        from assistant.application.pg_stores import PgFeedbackStore

        return PgFeedbackStore(settings.database_url)  # type: ignore[return-value]
    return FeedbackStore(settings.data_dir / "feedback.sqlite")


def open_job_store(folder: Path, settings: Settings) -> JobStore:
    """``JobStore`` under ``folder`` or ``PgJobStore`` (the same interface)."""
    if settings.database_url:
        from assistant.application.pg_stores import PgJobStore

        return PgJobStore(settings.database_url)  # type: ignore[return-value]
    return JobStore(folder)
