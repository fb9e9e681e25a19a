"""A throwaway PostgreSQL server for the tests: initdb + postgres on a free loopback port.

Uses Debian's packaged binaries (``/usr/lib/postgresql/<version>/bin``, or ``initdb`` on PATH).
PostgreSQL refuses to run as root, so as root (CI, this machine) the cluster belongs to the
``postgres`` system user the Debian package creates (``nobody`` if there is none) and every
command runs through ``runuser``; its folder is a fresh directory under /tmp, since pytest's own
tmp folders are private to root. Authentication is ``trust`` on loopback only, ``fsync`` off:
it is a test cluster, gone when the block ends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import free_port

USER = "assistant"  # the cluster's superuser (initdb -U)


def postgres_bin() -> Path | None:
    """The folder holding initdb and postgres, or None when PostgreSQL is not installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _run_as() -> tuple[list[str], str | None]:
    """The prefix that runs a command as a user PostgreSQL accepts, and that user (none when
    not root: then the tests' own user runs it)."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], name
    pytest.skip("running as root with neither a postgres nor a nobody user for PostgreSQL")


@contextmanager
def running_postgres(max_connections: int = 200) -> Iterator[str]:
    """Start a cluster and yield its admin URL (database ``postgres``); always stop it."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no initdb): `apt-get install postgresql`")
    prefix, owner = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
    if owner is not None:
        shutil.chown(folder, user=owner)
    data = folder / "cluster"
    log = folder / "postgres.log"
    port = free_port()
    try:
        subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "-A", "trust"]
            + ["-E", "UTF8", "--no-locale", "--no-sync"],
            check=True,
            capture_output=True,
        )
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [*prefix, str(bin_dir / "postgres"), "-D", str(data), "-k", str(folder)]
                + ["-h", "127.0.0.1", "-p", str(port), "-c", "fsync=off"]
                + ["-c", f"max_connections={max_connections}"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"postgresql://{USER}@127.0.0.1:{port}/postgres"
        try:
            _wait_ready(url, process, log)
            yield url
        finally:
            process.terminate()  # SIGTERM to postgres (runuser passes it on): a smart shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"postgres exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                pytest.fail(f"postgres not ready in {timeout:.0f}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)


def new_database(admin_url: str, prefix: str = "t") -> str:
    """A fresh empty database on the cluster; its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
