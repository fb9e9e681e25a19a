"""One writer at a time over one index folder.

Every write to the index (Chroma, the registry, the BM25 folder; the sentence vectors live in
the registry) runs inside ``WriteLock.hold()``: a thread lock for the writers of this process,
then an ``flock`` on ``<index_dir>/write.lock`` (the ``filelock`` package) for the writers of
any other process on the same data folder (a CLI ingest beside a running server, or several
server processes later). The kernel drops an ``flock`` when its process dies, so a killed
ingest never leaves the index locked. Readers never take it: they answer from the committed
registry and from whichever complete BM25 index is current (see ``IndexStore``), and the
registry's generation, bumped by every commit, is what tells them to look again.

With a shared database (ASSISTANT_DATABASE_URL) the process lock is a PostgreSQL advisory lock
instead (``pg_support.AdvisoryLock``), so the one writer is one across every machine that
shares the index; the thread lock, the reentrancy and the timeout are the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

from assistant.core.errors import IndexBusyError


class ProcessLock(Protocol):
    """The lock between processes: taken within ``timeout`` seconds (0: one try) or not."""

    def acquire(self, timeout: float) -> bool: ...

    def release(self) -> None: ...


class WriteLock:
    """Reentrant for the thread that holds it; ``timeout`` seconds at most for the others."""

    def __init__(
        self, path: Path | None, timeout: float, process_lock: ProcessLock | None = None
    ) -> None:
        self.path = path
        self.timeout = timeout
        self._threads = threading.RLock()
        if process_lock is None:
            assert path is not None, "a lock file or a process lock"
            path.parent.mkdir(parents=True, exist_ok=True)
            process_lock = FlockLock(path)
        self._process = process_lock
        self._owner: int | None = None
        self._depth = 0

    def held(self) -> bool:
        """Whether the calling thread holds the lock."""
        return self._owner == threading.get_ident()

    @contextmanager
    def hold(self, timeout: float | None = None) -> Iterator[None]:
        """Be the one writer until the block ends, or raise ``IndexBusyError`` after
        ``timeout`` seconds (the lock's own timeout when None)."""
        if not self._acquire(self.timeout if timeout is None else timeout):
            raise IndexBusyError(
                f"Another write to the index (an ingest, upload or delete) is still running "
                f"after {self.timeout if timeout is None else timeout:g} s; try again shortly "
                "(ASSISTANT_WRITE_LOCK_TIMEOUT)."
            )
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def attempt(self) -> Iterator[bool]:
        """Hold the lock for the block if it is free now; yields whether it was taken."""
        taken = self._acquire(0)
        try:
            yield taken
        finally:
            if taken:
                self._release()

    def _acquire(self, timeout: float) -> bool:
        """Take the lock within ``timeout`` seconds (0: only if it is free now)."""
        deadline = time.monotonic() + timeout
        taken = (
            self._threads.acquire(timeout=timeout) if timeout > 0 else self._threads.acquire(False)
        )
        if not taken:
            return False
        if self._depth == 0:
            left = deadline - time.monotonic()
            try:
                taken = self._process.acquire(max(0.0, left))  # 0: one try
            except BaseException:  # the lock could not be asked (a database error): raise
                self._threads.release()
                raise
            if not taken:  # another process writes
                self._threads.release()
                return False
            self._owner = threading.get_ident()
        self._depth += 1
        return True

    def close(self) -> None:
        """Let go of what the process lock holds open (the advisory lock's connection)."""
        close = getattr(self._process, "close", None)
        if close is not None:
            close()

    def _release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._process.release()
        self._threads.release()


class FlockLock:
    """``ProcessLock`` over an ``flock`` on one file (every process on one data folder)."""

    def __init__(self, path: Path) -> None:
        self._file = _file_lock(path)

    def acquire(self, timeout: float) -> bool:
        try:
            self._file.acquire(timeout=timeout)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        self._file.release()


def _file_lock(path: Path) -> FileLock:
    """The cross-process lock. ``thread_local=False``: it is held by this process (whichever
    thread holds the thread lock). ``preserve_lock_file`` (filelock 4) keeps one lock file for
    every process to lock, and rules out filelock's soft fallback, a marker file that a killed
    process would leave behind; filelock 3 keeps the file and has no such fallback."""
    try:
        return FileLock(path, thread_local=False, preserve_lock_file=True)
    except TypeError:  # filelock 3
        return FileLock(path, thread_local=False)
