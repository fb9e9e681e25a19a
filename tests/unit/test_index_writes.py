"""Index writes, one at a time (issue 12, item 3), on fake embeddings.

Writers in threads (and in another process) take turns; a BM25 save never touches another's
files and a reader loads the old build or the new, never half of one; a write that fails before
its registry commit has committed nothing, and one that committed reports success even when
the tidying after it (the BM25 build) fails.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.core.chunk_ids import doc_id_of
from assistant.index.keyword_index import KeywordIndex

NOTE = "# Churn note {n}\n\nLibraries host evening classes for adult learners, note {n}.\n"


def note(n: int) -> bytes:
    return NOTE.format(n=n).encode()


def consistent(store) -> None:
    """Registry, Chroma and the BM25 build in use and on disk hold the same passages."""
    registry_ids = store.registry.chunk_ids()
    assert store.vectors.all_ids() == registry_ids, "Chroma and the registry disagree"
    saved = KeywordIndex.load(store.keyword_dir)
    assert saved is not None and saved.generation == store.registry.generation()
    assert set(saved.ids) == registry_ids, "the saved BM25 index and the registry disagree"
    assert set(store.keyword_index().ids) == registry_ids


def test_concurrent_uploads_deletes_and_searches(fake_service, corpus_copy):
    service = fake_service
    service.ingest_folder(corpus_copy)
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def writer(first: int) -> None:
        for n in range(first, first + 5):
            report, doc_id = service.upload(note(n), f"note-{n}.txt", ".txt")
            assert report.added == [doc_id] == [f"note-{n}"]
            assert service.store.registry.document(doc_id) is not None
            service.delete_document(doc_id)
            assert service.store.registry.document(doc_id) is None

    def reader() -> None:
        while writing.is_set():
            service.search("evening classes for adult learners", 5)

    with ThreadPoolExecutor(6) as pool:
        readers = [pool.submit(reader) for _ in range(2)]
        writers = [pool.submit(writer, first) for first in (0, 100, 200)]
        for future in writers:
            if future.exception():
                errors.append(future.exception())
        writing.clear()
        errors += [f.exception() for f in readers if f.exception()]
    assert not errors, errors
    consistent(service.store)


def test_keyword_rebuilds_from_many_threads_take_turns(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    store = fake_service.store
    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(store.rebuild_keyword_index) for _ in range(12)]:
            future.result()  # before: FileExistsError / FileNotFoundError on bm25.tmp
    consistent(store)
    builds = [p for p in store.keyword_dir.iterdir() if p.is_dir()]
    assert len(builds) <= 2, "old builds are pruned"


def test_a_reader_sees_the_old_build_or_the_new_never_half(tmp_path):
    folder = tmp_path / "bm25"
    small = (["a::1", "a::2"], ["adult learning", "evening classes"])
    large = (["b::1", "b::2", "b::3"], ["adult learning", "evening classes", "museum hours"])
    KeywordIndex.build(*small, generation=1).save(folder)
    done = threading.Event()
    seen: list[object] = []

    def save_many() -> None:
        for generation in range(2, 40):
            ids, texts = large if generation % 2 else small
            KeywordIndex.build(ids, texts, generation).save(folder)
        done.set()

    thread = threading.Thread(target=save_many)
    thread.start()
    while not done.is_set():
        try:
            loaded = KeywordIndex.load(folder)
        except Exception as exc:  # before: the folder vanished mid-swap
            seen.append(exc)
            continue
        if loaded is None or len(loaded.ids) not in (2, 3):
            seen.append(loaded)
        elif loaded.search("museum", 3) and len(loaded.ids) != 3:
            seen.append("mixed")
    thread.join()
    assert not seen, seen[:3]


def test_a_write_that_fails_before_its_commit_commits_nothing(fake_service, monkeypatch):
    store = fake_service.store
    fake_service.upload(note(1), "note-1.txt", ".txt")
    before = (store.registry.chunk_ids(), store.vectors.all_ids(), store.registry.generation())

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.registry, "replace_document", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        fake_service.upload(note(2), "note-2.txt", ".txt")
    after = (store.registry.chunk_ids(), store.vectors.all_ids(), store.registry.generation())
    assert after == before, "the failed upload left vectors behind"


def test_a_committed_write_reports_success_when_the_bm25_build_fails(fake_service, monkeypatch):
    store = fake_service.store
    fake_service.upload(note(1), "note-1.txt", ".txt")
    original = KeywordIndex.save

    def fail(self, folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(KeywordIndex, "save", fail)
    report, doc_id = fake_service.upload(note(2), "note-2.txt", ".txt")  # before: OSError
    assert report.added == ["note-2"] and store.registry.document("note-2") is not None
    fake_service.delete_document("note-1")  # before: OSError after the delete committed
    assert store.registry.document("note-1") is None
    monkeypatch.setattr(KeywordIndex, "save", original)
    store._keyword = None  # a fresh process: only the (stale) saved build
    assert {doc_id_of(c) for c in store.keyword_index().ids} == {"note-2"}
    consistent(store)


def test_readers_keep_the_previous_bm25_build_while_a_writer_works(fake_service):
    store = fake_service.store
    fake_service.upload(note(1), "note-1.txt", ".txt")
    previous = store.keyword_index()
    entered, release = threading.Event(), threading.Event()

    def slow_write() -> None:
        with store.writing():
            store.registry.delete_document("note-1")  # committed, BM25 not rebuilt yet
            entered.set()
            release.wait(10)
            store.rebuild_keyword_index()

    thread = threading.Thread(target=slow_write)
    thread.start()
    entered.wait(10)
    started = time.perf_counter()
    assert store.keyword_index() is previous  # served at once, not blocked behind the writer
    assert time.perf_counter() - started < 1.0
    release.set()
    thread.join()
    assert store.keyword_index().ids == []


def test_the_write_lock_is_shared_with_other_processes(tmp_path):
    from assistant.core.errors import IndexBusyError
    from assistant.index.write_lock import WriteLock

    path = tmp_path / "index" / "write.lock"
    lock = WriteLock(path, timeout=0.3)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\n"
            "from assistant.index.write_lock import WriteLock\n"
            f"lock = WriteLock(Path({str(path)!r}), 5)\n"
            "with lock.hold():\n    print('held', flush=True)\n    time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with lock.attempt() as free:
            assert not free
        with pytest.raises(IndexBusyError, match="ASSISTANT_WRITE_LOCK_TIMEOUT"), lock.hold():
            pass
    finally:
        holder.kill()  # a killed writer never leaves the index locked
        holder.wait()
    with lock.hold():
        assert lock.held()
    assert not lock.held()
