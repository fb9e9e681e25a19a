"""Which registry and which writer lock an index runs on: one choice, made from Settings.

Without ASSISTANT_DATABASE_URL (the default) both live in the data folder, as they always have:
``registry.sqlite`` and an ``flock`` on ``write.lock``. With it, both live in PostgreSQL, so
every server that shares the database shares them too (``PgRegistry``, an advisory lock). The
PostgreSQL modules are imported only then: a local install never needs a database driver.
"""

from __future__ import annotations

from assistant.core.settings import Settings
from assistant.index.registry import Registry
from assistant.index.write_lock import WriteLock

WRITER_LOCK_NAME = "index-writer"


def open_registry(settings: Settings):
    """The registry of this index: ``Registry`` (SQLite) or ``PgRegistry`` (same interface)."""
    if settings.database_url:
        from assistant.index.pg_registry import PgRegistry

        return PgRegistry(settings.database_url)
    return Registry(settings.index_dir / "registry.sqlite")


def open_write_lock(settings: Settings) -> WriteLock:
    """The one-writer lock: over the data folder, or over everyone sharing the database."""
    if settings.database_url:
        from assistant.index.pg_support import AdvisoryLock, lock_key

        # advisory locks are per database, like the registry's tables
        process_lock = AdvisoryLock(settings.database_url, lock_key(WRITER_LOCK_NAME))
        return WriteLock(None, settings.write_lock_timeout, process_lock)
    return WriteLock(settings.index_dir / "write.lock", settings.write_lock_timeout)
