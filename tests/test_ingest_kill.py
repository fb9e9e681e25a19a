"""kill -9 in the middle of a real ingest: the index keeps answering, the next run finishes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from assistant.service import AssistantService
from assistant.settings import Settings


def committed_documents(registry_path) -> int:
    if not registry_path.exists():
        return 0
    try:
        with sqlite3.connect(registry_path, timeout=5) as connection:
            return connection.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.integration
def test_kill_9_mid_ingest_then_rerun(tmp_path, corpus_copy, real_embeddings):
    data_dir = tmp_path / "data"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(corpus_copy)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    registry = data_dir / "index" / "registry.sqlite"
    deadline = time.monotonic() + 300
    try:
        while committed_documents(registry) < 1:  # wait for the first committed document
            assert process.poll() is None, "ingest finished before it could be interrupted"
            assert time.monotonic() < deadline, "no document was committed in time"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    survivors = committed_documents(registry)
    assert 1 <= survivors < 5

    service = AssistantService(Settings(data_dir=data_dir), embeddings=real_embeddings)
    try:
        registry_ids = service.store.registry.chunk_ids()
        passages = service.search("learning strategy", k=5)
        assert passages and all(p.chunk.chunk_id in registry_ids for p in passages)
        report = service.ingest_folder(corpus_copy)
        assert len(report.added) == 5 - survivors and len(report.unchanged) == survivors
        assert service.store.registry.counts()[0] == 5
        assert service.store.vectors.all_ids() == service.store.registry.chunk_ids()
        answer = service.ask("What did partners say about apprenticeships?")
        assert any("apprenticeships offer" in c.text for c in answer.citations)
    finally:
        service.close()
