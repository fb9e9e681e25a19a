"""Shared state on fakes (issue 15, target 3): which stores a configuration opens, the writer lock
over any process lock, the advisory lock's timeout, and a shared index's BM25 cache rebuilt by a
reader while another server holds the one writer lock. The PostgreSQL stores themselves run on
a real server in tests/integration/test_pg_registry.py and test_shared_state.py."""

from __future__ import annotations

import threading

import psycopg
import pytest

from assistant.application import pg_stores
from assistant.application.feedback_store import FeedbackStore
from assistant.application.job_store import JobStore
from assistant.application.stores import open_feedback_store, open_job_store
from assistant.core.chunk_ids import doc_id_of
from assistant.core.errors import IndexBusyError
from assistant.index import pg_registry, pg_support
from assistant.index.index_store import IndexStore
from assistant.index.pg_support import AdvisoryLock, lock_key
from assistant.index.registry import Registry
from assistant.index.registry_factory import open_registry, open_write_lock
from assistant.index.write_lock import FlockLock, WriteLock

URL = "postgresql://nobody@127.0.0.1:1/unused"


class FakeProcessLock:
    """A process lock another server may hold (``busy``); records what it was asked."""

    def __init__(self, busy: bool = False, error: Exception | None = None) -> None:
        self.busy, self.error = busy, error
        self.calls: list[tuple[str, float | None]] = []

    def acquire(self, timeout: float) -> bool:
        self.calls.append(("acquire", timeout))
        if self.error is not None:
            raise self.error
        return not self.busy

    def release(self) -> None:
        self.calls.append(("release", None))


def test_the_default_is_sqlite_and_a_flock_in_the_data_folder(fake_settings):
    registry = open_registry(fake_settings)
    assert type(registry) is Registry
    assert registry.path == fake_settings.index_dir / "registry.sqlite"
    registry.close()
    lock = open_write_lock(fake_settings)
    assert isinstance(lock._process, FlockLock)
    assert lock.path == fake_settings.index_dir / "write.lock"
    feedback = open_feedback_store(fake_settings)
    assert type(feedback) is FeedbackStore
    feedback.close()
    jobs = open_job_store(fake_settings.data_dir / "jobs", fake_settings)
    assert type(jobs) is JobStore
    jobs.close()


def test_a_database_url_puts_every_shared_store_in_postgres(fake_settings, monkeypatch):
    settings = fake_settings.model_copy(update={"database_url": URL})
    opened = []

    def fake(kind):
        return lambda url: opened.append((kind, url)) or kind

    monkeypatch.setattr(pg_registry, "PgRegistry", fake("registry"))
    monkeypatch.setattr(pg_stores, "PgFeedbackStore", fake("feedback"))
    monkeypatch.setattr(pg_stores, "PgJobStore", fake("jobs"))
    assert open_registry(settings) == "registry"
    assert open_feedback_store(settings) == "feedback"
    assert open_job_store(settings.data_dir / "jobs", settings) == "jobs"
    assert opened == [("registry", URL), ("feedback", URL), ("jobs", URL)]
    lock = open_write_lock(settings)  # no connection until the first write
    assert isinstance(lock._process, AdvisoryLock) and lock._process.url == URL
    assert lock._process.key == lock_key("index-writer") and lock.path is None
    assert not (settings.index_dir / "write.lock").exists()


def test_the_write_lock_takes_the_process_lock_once_and_gives_it_back():
    process = FakeProcessLock()
    lock = WriteLock(None, 5.0, process)
    with lock.hold(), lock.hold():  # reentrant: one acquire, one release
        assert lock.held()
    assert not lock.held()
    assert [name for name, _ in process.calls] == ["acquire", "release"]
    assert 4.0 < process.calls[0][1] <= 5.0  # what is left of the timeout


def test_a_busy_process_lock_is_index_busy_after_the_timeout():
    lock = WriteLock(None, 0.2, FakeProcessLock(busy=True))
    with pytest.raises(IndexBusyError, match="ASSISTANT_WRITE_LOCK_TIMEOUT"), lock.hold():
        pass
    with lock.attempt() as free:
        assert not free
    assert not lock.held()


def test_a_process_lock_error_is_raised_and_leaves_the_lock_usable():
    process = FakeProcessLock(error=psycopg.OperationalError("server closed the connection"))
    lock = WriteLock(None, 1.0, process)
    with pytest.raises(psycopg.OperationalError), lock.hold():
        pass
    process.error = None
    done = threading.Event()

    def write() -> None:
        with lock.hold():
            done.set()

    thread = threading.Thread(target=write)
    thread.start()  # another thread can take it: the thread lock was released with the error
    assert done.wait(5)
    thread.join()


class FakeConnection:
    """Just enough of a psycopg connection for ``AdvisoryLock``: a lock someone else holds."""

    def __init__(self, held_elsewhere: bool) -> None:
        self.held_elsewhere = held_elsewhere
        self.closed = self.broken = False
        self.sql: list[str] = []

    def execute(self, query, args=()):
        self.sql.append(query)
        if "pg_advisory_lock" in query and self.held_elsewhere:
            raise psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
        result = not self.held_elsewhere if "pg_try_advisory_lock" in query else True
        return type("Cursor", (), {"fetchone": lambda _self: (result,)})()

    def close(self):
        self.closed = True


@pytest.mark.parametrize("held_elsewhere", [False, True])
def test_the_advisory_lock_waits_in_postgres_for_its_timeout(monkeypatch, held_elsewhere):
    connection = FakeConnection(held_elsewhere)
    monkeypatch.setattr(pg_support, "connect", lambda url, **_: connection)
    lock = AdvisoryLock(URL, 42)
    assert lock.acquire(1.5) is not held_elsewhere
    assert connection.sql[:2] == ["SET lock_timeout = 1500", "SELECT pg_advisory_lock(%s)"]
    assert connection.sql[-1] == "SET lock_timeout = 0"  # back to waiting without a limit
    assert lock.acquire(0) is not held_elsewhere  # 0: one try, never a wait
    assert connection.sql[-1] == "SELECT pg_try_advisory_lock(%s)"


def note(n: int) -> bytes:
    return f"Shared note {n}. Partners asked for more apprenticeships in the borough.\n".encode()


def test_a_shared_reader_rebuilds_its_bm25_cache_while_another_server_writes(fake_service):
    """Server B (own data folder, the registry shared) is at an older generation than the
    registry while server A holds the global writer lock: B must not wait for A, nor serve
    the old build for ever (nobody on B will publish a new one): it rebuilds its cache."""
    writer = fake_service  # server A
    writer.upload(note(1), "note-1.txt", ".txt")
    settings = writer.settings.model_copy(
        update={"data_dir": writer.settings.data_dir.parent / "b-data", "database_url": URL}
    )
    reader = IndexStore(settings, writer.store.registry, writer.store.vectors)  # server B
    reader.writer = WriteLock(None, 30.0, FakeProcessLock(busy=True))  # A writes, for ever
    first = reader.keyword_index()
    assert {doc_id_of(c) for c in first.ids} >= {"note-1"}
    writer.upload(note(2), "note-2.txt", ".txt")  # committed on A: a new generation
    fresh = reader.keyword_index()
    assert fresh.generation == writer.store.registry.generation() > first.generation
    assert {doc_id_of(c) for c in fresh.ids} >= {"note-1", "note-2"}
    assert (settings.index_dir / "bm25").is_dir()  # B's own cache, in B's folder
    assert reader.keyword_index() is fresh  # current: not rebuilt again
