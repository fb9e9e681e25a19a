"""PostgreSQL plumbing shared by every store that lives in the database (ASSISTANT_DATABASE_URL).

Connections run in autocommit mode and open a transaction only where the code says so (a
snapshot of reads, or one write), exactly like the SQLite stores with ``isolation_level=None``:
a psycopg connection left in its default mode would sit "idle in transaction" after its first
query and keep answering from that old snapshot, so server B would never see what A commits.

Locks across machines are session-level advisory locks (``pg_advisory_lock``), each held by a
connection of its own: PostgreSQL drops them when that session ends, so a killed process, like
a killed ``flock`` holder, never leaves anything locked (a machine that vanishes is noticed when
its TCP connection times out).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import threading
from typing import Any

from assistant.core.errors import IndexUnavailable

APPLICATION_NAME = "strategy-assistant"
CONNECT_TIMEOUT = 10  # seconds to reach the database before an error
RETRY_AFTER = 5  # seconds a client is told to wait when the database does not answer
# A statement still running after this long is a stuck database (a lock held by a stalled
# session, an overloaded server), not work: it is cancelled by the server and the request gets
# IndexUnavailable (503) instead of hanging. A URL whose options set statement_timeout keeps its
# own. The writer lock's session has none: its waits are bounded by lock_timeout.
STATEMENT_TIMEOUT_MS = 30_000


def reports_unavailable(cls: type) -> type:
    """Class decorator: a refused or lost database connection in any public method becomes
    ``IndexUnavailable`` (503 with Retry-After at the edges), as an unanswering Chroma server
    does, instead of a 500; the next call connects again. (Generators are left as they are:
    they run inside a snapshot, whose start already reports the database down.)"""
    for name, method in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(method):
            continue
        if inspect.isgeneratorfunction(method):
            continue
        setattr(cls, name, unavailable_on_disconnect(method))
    return cls


def unavailable_on_disconnect(method):
    """``method``, raising ``IndexUnavailable`` where the database connection fails."""

    @functools.wraps(method)
    def call(*args, **kwargs):
        import psycopg

        try:
            return method(*args, **kwargs)
        except psycopg.OperationalError as exc:
            raise IndexUnavailable(
                f"The database (ASSISTANT_DATABASE_URL) did not answer: {exc}".strip(),
                RETRY_AFTER,
            ) from exc

    return call


def connect(url: str, statement_timeout_ms: int | None = None) -> Any:
    """A new autocommit connection (psycopg is imported only when a database is configured)
    whose statements are cancelled after ``statement_timeout_ms`` (``STATEMENT_TIMEOUT_MS``
    when None; 0: never), unless the URL's own options set one."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    options = str(conninfo_to_dict(url).get("options") or "")
    if "statement_timeout" not in options:
        limit = STATEMENT_TIMEOUT_MS if statement_timeout_ms is None else statement_timeout_ms
        options = f"{options} -c statement_timeout={int(limit)}".strip()
    return psycopg.connect(
        url,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT,
        application_name=APPLICATION_NAME,
        options=options,
    )


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name`` (collisions: about 2**-64)."""
    digest = hashlib.sha256(f"{APPLICATION_NAME}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def in_transaction(connection: Any) -> bool:
    """Whether ``connection`` is inside a transaction block (psycopg ``TransactionStatus``)."""
    from psycopg.pq import TransactionStatus

    return connection.info.transaction_status != TransactionStatus.IDLE


def create_schema(connection: Any, name: str, statements: list[str]) -> None:
    """Run ``CREATE ... IF NOT EXISTS`` statements once, whoever else starts at the same moment:
    two servers creating the same table at once can otherwise fail on PostgreSQL's catalog."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(f"schema:{name}"),))
        for statement in statements:
            connection.execute(statement)


class ThreadConnections:
    """One connection per thread (as the SQLite registry has): a snapshot's reads must all run
    on one connection, and a thread never waits for another's query."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Any] = []

    def get(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.broken or connection.closed:
            connection = connect(self.url)
            self._local.connection = connection
            with self._lock:
                self._all.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
            self._local = threading.local()


class AdvisoryLock:
    """A cross-machine lock: ``pg_advisory_lock(key)`` held on a dedicated connection.

    ``acquire(timeout)`` waits in PostgreSQL's own lock queue (first come, first served) for
    up to ``timeout`` seconds (``lock_timeout``), or tries once when ``timeout`` is 0; it says
    whether the lock was taken. Not reentrant by itself: ``WriteLock`` counts the depth.
    """

    def __init__(self, url: str, key: int) -> None:
        self.url = url
        self.key = key
        self._connection: Any = None

    def _session(self) -> Any:
        if self._connection is None or self._connection.broken or self._connection.closed:
            self._connection = connect(self.url, statement_timeout_ms=0)  # lock_timeout bounds it
        return self._connection

    @unavailable_on_disconnect
    def acquire(self, timeout: float) -> bool:
        import psycopg

        connection = self._session()
        if timeout <= 0:
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            return bool(row[0])
        connection.execute(f"SET lock_timeout = {max(1, int(timeout * 1000))}")
        try:
            connection.execute("SELECT pg_advisory_lock(%s)", (self.key,))
        except psycopg.errors.LockNotAvailable:  # waited ``timeout``: someone else writes
            return False
        finally:
            if not (connection.closed or connection.broken):
                connection.execute("SET lock_timeout = 0")
        return True

    def release(self) -> None:
        import psycopg

        connection = self._connection
        if connection is None or connection.closed:
            return  # the session ended, and PostgreSQL released the lock with it
        try:
            connection.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except psycopg.Error:  # a broken session: ending it is what releases the lock
            self.close()

    def is_free(self) -> bool:
        """Whether nobody holds the lock now (taken and released at once when free)."""
        if not self.acquire(0):
            return False
        self.release()
        return True

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
