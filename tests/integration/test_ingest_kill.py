"""kill -9 in the middle of a real re-ingest: the previous index keeps answering, the next run
finishes the work, and nothing is duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from assistant.application.service import AssistantService
from assistant.core.settings import Settings


@pytest.mark.integration
def test_kill_9_mid_ingest_then_rerun(tmp_path, corpus_copy, real_embeddings):
    data_dir = tmp_path / "data"
    service = AssistantService(Settings(data_dir=data_dir), embeddings=real_embeddings)
    service.ingest_folder(corpus_copy)
    before = service.store.registry.document_hashes()
    service.close()

    survey = corpus_copy / "birmingham-learning-city-survey.txt"
    survey.write_text(
        survey.read_text(encoding="utf-8") + "\nLibraries host evening classes.\n", encoding="utf-8"
    )
    (corpus_copy / "new-note.md").write_text(
        "# Museums\n\nMuseums open late on Fridays.\n", encoding="utf-8"
    )
    log = tmp_path / "ingest.log"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "ingest", str(corpus_copy)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        deadline = time.monotonic() + 300
        try:
            while "Embedding" not in log.read_text(encoding="utf-8", errors="replace"):
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the ingest never started embedding"
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert process.returncode == -signal.SIGKILL, "the ingest ended before it was killed"

    service = AssistantService(Settings(data_dir=data_dir), embeddings=real_embeddings)
    try:
        registry = service.store.registry
        after_kill = registry.document_hashes()
        # Each document is wholly its old or wholly its new version, never a mix.
        assert set(before) <= set(after_kill)
        for doc_id, digest in after_kill.items():
            chunks = registry.chunks_of(doc_id)
            assert chunks and all(digest[:12] in c.chunk_id for c in chunks)
        registry_ids = registry.chunk_ids()
        assert registry_ids <= service.store.vectors.all_ids()  # every answerable id has a vector
        passages = service.search("Birmingham learning infrastructure", k=5)
        assert passages and all(p.chunk.chunk_id in registry_ids for p in passages)
        answer = service.ask("What did partners say about apprenticeships?")
        assert any("apprenticeships offer" in c.text for c in answer.citations)

        report = service.ingest_folder(corpus_copy)
        assert not report.skipped
        assert registry.document_hashes().keys() == before.keys() | {"new-note"}
        assert registry.counts()[0] == 6
        assert service.ingest_folder(corpus_copy).chunks_embedded == 0  # the work is complete
        assert service.store.vectors.all_ids() == registry.chunk_ids()
        assert (
            "Libraries host evening classes."
            in registry.document("birmingham-learning-city-survey").text
        )
    finally:
        service.close()
