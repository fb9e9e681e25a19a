"""The PostgreSQL stores behave as the SQLite ones do (issue 15, target 3), on a real server.

Every registry check runs twice, on ``Registry`` (SQLite) and on ``PgRegistry``, and the
answers must be the same: order of rows, the generation counter, snapshots that do not see a
commit made meanwhile (by another "server": a second registry on the same database), failed
writes that change nothing, metadata edits. The advisory writer lock keeps a second server out
for its timeout; the job store tells a dead server's jobs from a live one's; feedback and the
audit written through one store are listed by another.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.application.feedback_store import FeedbackIn
from assistant.application.job_store import Job, new_job_id, now
from assistant.application.pg_stores import PgFeedbackStore, PgJobStore
from assistant.core.errors import IndexBusyError
from assistant.core.models import Chunk, DocumentMeta
from assistant.core.settings import Settings
from assistant.index.pg_registry import PgRegistry
from assistant.index.registry import Registry
from assistant.index.registry_factory import open_registry, open_write_lock
from tests.postgres import new_database, running_postgres

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
WIDTH = 8


@pytest.fixture(scope="module")
def admin_url():
    with running_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def open_pair(request, tmp_path, admin_url):
    """A function returning a new registry on the same store each call (two "servers")."""
    opened = []
    database = new_database(admin_url) if request.param == "postgres" else None

    def open_one():
        registry = PgRegistry(database) if database else Registry(tmp_path / "registry.sqlite")
        opened.append(registry)
        return registry

    yield open_one
    for registry in opened:
        registry.close()


def document(doc_id: str, n: int, recommendation: str | None = None, tag: str = "a"):
    source = None if doc_id == "B-upper" else f"/corpus/{doc_id}.txt"  # an upload has none
    meta = DocumentMeta(doc_id=doc_id, title=f"Title {doc_id}", place="Leeds", source_path=source)
    chunks = [
        Chunk(
            chunk_id=f"{doc_id}:{tag}:{i:04d}",
            doc_id=doc_id,
            ordinal=i,
            text=f"passage {i} of {doc_id}",
            start=i * 10,
            end=i * 10 + 9,
            recommendation=recommendation if i == 0 else None,
            sentence_spans=[(0, 4), (5, 9)],
        )
        for i in range(n)
    ]
    rng = np.random.default_rng(abs(hash((doc_id, tag))) % 2**32)
    vectors = rng.standard_normal((n, WIDTH)).astype(np.float32)
    sentences = [rng.standard_normal((2, WIDTH)).astype(np.float32) for _ in range(n)]
    texts = [f"embed {c.text}" for c in chunks]
    return meta, f"hash-{doc_id}-{tag}", f"text of {doc_id}", [0], chunks, texts, vectors, sentences


def state_of(registry) -> dict:
    """Everything a reader can ask, as plain values, to compare the two backends."""
    vectors = registry.vectors(sorted(registry.chunk_ids()))
    return {
        "generation": registry.generation(),
        "counts": registry.counts(),
        "hashes": registry.document_hashes(),
        "documents": [
            (d.meta.model_dump(), d.content_hash, d.chunk_count) for d in registry.documents()
        ],
        "text": [registry.document(d).text for d in sorted(registry.document_hashes())],
        "iter_chunks": [(c.chunk_id, t) for c, t in registry.iter_chunks()],
        "sentences": [(i, m.tolist()) for i, m in registry.iter_sentence_vectors()],
        "vectors": {i: (p.tolist(), s.tolist()) for i, (p, s) in vectors.items()},
        "passages": {
            i: (c.model_dump(), v.tolist())
            for i, (c, v) in registry.passages(sorted(registry.chunk_ids())).items()
        },
        "recommendation": registry.recommendation_chunk_ids("3"),
        "chunks_of": [c.chunk_id for c in registry.chunks_of("b-doc")],
    }


def test_reads_and_writes_match(open_pair):
    registry = open_pair()
    assert registry.generation() == 0 and registry.counts() == (0, 0)
    assert registry.replace_document(*document("b-doc", 3, recommendation="3")) == []
    assert registry.replace_document(*document("a-doc", 2)) == []
    assert registry.replace_document(*document("B-upper", 1, recommendation="3")) == []
    first = state_of(registry)
    assert registry.document_sources() == {
        "B-upper": None,
        "a-doc": "/corpus/a-doc.txt",
        "b-doc": "/corpus/b-doc.txt",
    }
    assert first["generation"] == 3 and first["counts"] == (3, 6)
    # "C" order everywhere: "B-upper" < "a-doc" < "b-doc", ordinal within a document
    assert [d[0]["doc_id"] for d in first["documents"]] == ["B-upper", "a-doc", "b-doc"]
    assert first["recommendation"] == ["B-upper:a:0000", "b-doc:a:0000"]
    assert registry.chunk("a-doc:a:0001").text == "passage 1 of a-doc"
    assert registry.chunks(["a-doc:a:0000", "missing"]).keys() == {"a-doc:a:0000"}
    assert registry.chunks([]) == {} and registry.vectors([]) == {}
    assert registry.passages(["a-doc:a:0000", "missing"]).keys() == {"a-doc:a:0000"}
    assert registry.passages([]) == {}

    replaced = registry.replace_document(*document("b-doc", 2, tag="v2"))
    assert sorted(replaced) == [f"b-doc:a:{i:04d}" for i in range(3)]
    assert registry.delete_document("a-doc") == ["a-doc:a:0000", "a-doc:a:0001"]
    meta = DocumentMeta(doc_id="b-doc", title="Edited", place="Leeds")
    registry.save_metadata_edits("b-doc", {"title": "Edited"}, meta, {"b-doc:v2:0000": "new"})
    assert registry.metadata_edits("b-doc") == {"title": "Edited"}
    assert registry.document("b-doc", with_text=False).text == ""
    sources = {d.meta.doc_id: d.meta.source_path for d in registry.documents()}
    assert registry.document_sources() == sources == {"B-upper": None, "b-doc": None}  # edited
    other = open_pair()  # another server on the same store sees it all
    assert state_of(other) == state_of(registry)
    assert other.document("b-doc").meta.title == "Edited"
    registry.save_metadata_edits("b-doc", {}, meta, {})
    assert other.metadata_edits("b-doc") == {} and other.generation() == 7


def test_both_backends_give_the_same_answers(tmp_path, admin_url):
    sqlite, postgres = Registry(tmp_path / "r.sqlite"), PgRegistry(new_database(admin_url))
    try:
        for registry in (sqlite, postgres):
            registry.replace_document(*document("b-doc", 3, recommendation="3"))
            registry.replace_document(*document("a-doc", 2))
            registry.replace_document(*document("B-upper", 1, recommendation="3"))
            registry.delete_document("a-doc")
        left, right = state_of(sqlite), state_of(postgres)
        assert left == right
    finally:
        sqlite.close()
        postgres.close()


def test_a_snapshot_does_not_see_a_commit_made_meanwhile(open_pair):
    reader, writer = open_pair(), open_pair()
    writer.replace_document(*document("a-doc", 2))
    seen = {}
    with reader.snapshot():
        seen["before"] = (reader.generation(), reader.counts())
        done = threading.Event()
        thread = threading.Thread(
            target=lambda: (writer.replace_document(*document("b-doc", 1)), done.set())
        )
        thread.start()
        assert done.wait(30), "a writer must not wait for a reader's snapshot"
        seen["during"] = (reader.generation(), reader.counts())
    thread.join()
    assert seen["before"] == seen["during"] == (1, (1, 2))
    assert (reader.generation(), reader.counts()) == (2, (2, 3))


def test_a_failed_write_changes_nothing(open_pair):
    registry = open_pair()
    registry.replace_document(*document("a-doc", 2))
    before = state_of(registry)
    broken = list(document("b-doc", 2))
    broken[4] = [broken[4][0], broken[4][0]]  # the same chunk id twice: the insert fails
    with pytest.raises(Exception):  # noqa: B017 - sqlite3 and psycopg name it differently
        registry.replace_document(*broken)
    assert state_of(registry) == before
    assert state_of(open_pair()) == before


def test_the_factory_picks_the_backend(tmp_path, admin_url):
    local = Settings(data_dir=tmp_path / "data")
    registry = open_registry(local)
    assert isinstance(registry, Registry) and registry.path == local.index_dir / "registry.sqlite"
    registry.close()
    shared = Settings(data_dir=tmp_path / "data", database_url=new_database(admin_url))
    registry = open_registry(shared)
    assert isinstance(registry, PgRegistry)
    registry.close()


def test_the_advisory_writer_lock_keeps_a_second_server_out(tmp_path, admin_url):
    settings = Settings(
        data_dir=tmp_path / "a", database_url=new_database(admin_url), write_lock_timeout=0.5
    )
    first, second = open_write_lock(settings), open_write_lock(settings)
    with first.hold():
        with first.hold():  # reentrant for its holder
            pass
        with second.attempt() as free:
            assert not free
        started = time.monotonic()
        with pytest.raises(IndexBusyError), second.hold():
            pass
        waited = time.monotonic() - started
        assert 0.4 <= waited < 3.0, waited
    with second.hold(timeout=1):  # free again once released
        pass
    first._process.close()
    second._process.close()


def test_feedback_and_audit_are_shared(admin_url):
    url = new_database(admin_url)
    one, two = PgFeedbackStore(url), PgFeedbackStore(url)
    try:
        record = one.add(FeedbackIn(rating="up", question="Q?", answer="A", chunk_ids=["x", "y"]))
        assert two.list() == [record]
        entry = two.audit.record("upload", result="added", status=201, doc_id="d", client="1.2")
        assert one.audit.list(doc_id="d") == [entry] and one.audit.list(doc_id="other") == []
    finally:
        one.close()
        two.close()


def test_jobs_of_a_dead_server_are_stale_and_a_live_ones_are_not(admin_url):
    url = new_database(admin_url)
    dead, alive, starting = PgJobStore(url), PgJobStore(url), None
    ids = {}
    try:
        for store in (dead, alive):
            job = Job(
                id=new_job_id(),
                state="running",
                file_name="f.txt",
                doc_id="doc",
                content_hash="h",
                size_bytes=1,
                via="api",
                created_at=now(),
            )
            store.save(job)
            ids[store.owner] = job.id
        dead.close()  # its session ends: its owner's lock is free
        starting = PgJobStore(url)
        assert [j.id for j in starting.stale()] == [ids[dead.owner]]
        running = ids[alive.owner]
        assert starting.request_cancel(running).cancel_requested
        assert alive.cancel_requested(running)
        assert {j.id for j in alive.recent(10)} == set(ids.values())
    finally:
        alive.close()
        if starting is not None:
            starting.close()


def test_two_servers_write_and_read_one_index_at_once(tmp_path, admin_url):
    """Two services, each with its own data folder and writer lock, on one database and one
    (in-process) Chroma: uploads and deletes through both at once, searches on both meanwhile;
    afterwards registry, Chroma and each server's BM25 cache agree, and both rank alike."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.application.service import AssistantService
    from assistant.index.index_store import IndexStore
    from tests.conftest import CORPUS

    url = new_database(admin_url)
    common = {"database_url": url, "embedding_model": "fake:64", "corpus_dir": CORPUS}
    a = AssistantService(Settings(data_dir=tmp_path / "a", **common))
    settings_b = Settings(data_dir=tmp_path / "b", **common)
    b = AssistantService(
        settings_b, store=IndexStore(settings_b, open_registry(settings_b), a.store.vectors)
    )
    try:
        a.ingest_folder(CORPUS)
        writing = threading.Event()
        writing.set()

        def writer(service, first: int) -> None:
            for n in range(first, first + 4):
                text = f"# Shared note {n}\n\nLibraries host evening classes, note {n}.\n"
                report, doc_id = service.upload(text.encode(), f"note-{n}.txt", ".txt")
                assert report.added == [doc_id] and b.store.registry.document(doc_id)
                (b if service is a else a).delete_document(doc_id)  # through the other

        def reader(service) -> None:
            while writing.is_set():
                service.search("evening classes for adult learners", 5)

        with ThreadPoolExecutor(6) as pool:
            readers = [pool.submit(reader, s) for s in (a, b)]
            writers = [pool.submit(writer, s, f) for s, f in ((a, 0), (b, 100), (a, 200))]
            errors = [f.exception() for f in writers if f.exception()]
            writing.clear()
            errors += [f.exception() for f in readers if f.exception()]
        assert not errors, errors
        ids = a.store.registry.chunk_ids()
        assert a.store.vectors.all_ids() == ids == b.store.registry.chunk_ids()
        for service in (a, b):
            assert set(service.store.keyword_index().ids) == ids
        query = "evening classes for adult learners"
        assert [p.chunk.chunk_id for p in a.search(query, 5)] == [
            p.chunk.chunk_id for p in b.search(query, 5)
        ]
    finally:
        b.close()
        a.close()


def test_a_lost_database_connection_is_unavailable_then_reconnects(admin_url):
    """The database ends every session (a restart, a failover): the next call is a 503-style
    ``IndexUnavailable`` rather than a 500, and the one after connects again by itself."""
    import psycopg

    from assistant.core.errors import IndexUnavailable

    url = new_database(admin_url)
    registry, feedback = PgRegistry(url), PgFeedbackStore(url)
    try:
        registry.replace_document(*document("a-doc", 2))
        assert registry.generation() == 1 and feedback.list() == []
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        with pytest.raises(IndexUnavailable, match="ASSISTANT_DATABASE_URL") as caught:
            registry.generation()
        assert caught.value.retry_after > 0
        with pytest.raises(IndexUnavailable):
            feedback.list()
        assert registry.generation() == 1 and registry.counts() == (1, 2)
        with registry.snapshot():
            assert registry.document("a-doc").chunk_count == 2
        assert feedback.list() == []
    finally:
        registry.close()
        feedback.close()


def test_a_stuck_statement_is_cancelled_and_unavailable_not_a_hang(admin_url, monkeypatch):
    """Another session holds a lock the registry's read needs and never lets go (a stalled
    client, a runaway migration): the read is cancelled by the server after the statement
    timeout and reported as ``IndexUnavailable`` (503), and the registry works once the lock
    is gone. The writer lock's own session is not subject to it."""
    import psycopg

    from assistant.core.errors import IndexUnavailable
    from assistant.index import pg_support

    monkeypatch.setattr(pg_support, "STATEMENT_TIMEOUT_MS", 1000)
    url = new_database(admin_url)
    registry = PgRegistry(url)
    try:
        registry.replace_document(*document("a-doc", 2))
        registry.close()
        registry = PgRegistry(url)  # new sessions, with the short timeout
        with psycopg.connect(url) as blocker:
            blocker.execute("LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
            started = time.perf_counter()
            with pytest.raises(IndexUnavailable, match="ASSISTANT_DATABASE_URL"):
                registry.documents()
            waited = time.perf_counter() - started
            assert 0.9 < waited < 5, waited
            lock = pg_support.AdvisoryLock(url, 42)
            timeout = lock._session().execute("SHOW statement_timeout").fetchone()[0]
            assert timeout == "0"
            lock.close()
        assert [d.meta.doc_id for d in registry.documents()] == ["a-doc"]
    finally:
        registry.close()
