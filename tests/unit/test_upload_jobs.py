"""Uploads as background jobs (issue 14, item 4): 202 with a job at once, progress that moves,
questions answered meanwhile, cancel that commits nothing, a restart that closes the job.

On fake embeddings; "slow" wraps the pipeline's embedder so each slice of 512 texts takes a
while, which is what makes progress observable and a cancel land mid-embedding.
"""

from __future__ import annotations

import threading
import time

import pytest

from assistant.application.job_store import Job, JobStore, new_job_id, now
from tests.api_support import APPRENTICESHIPS, client_for, fake_corpus_service
from tests.big_text import FINDING, council_text
from tests.zip_bombs import zip_bomb_docx
from ui import uploads

KEY = "jobs-test-key"
BIG = council_text(300_000)  # about 340 passages and 2,700 texts to embed: 6 slices
SMALL = b"Leeds skills plan\n\nLeeds will fund adult learning in every library by 2030.\n" * 5


class Slow:
    """The pipeline's embeddings with a delay per call (a slice of up to 512 texts)."""

    def __init__(self, inner, delay: float) -> None:
        self.inner, self.delay, self.name = inner, delay, inner.name
        self.gate = threading.Event()
        self.gate.set()

    def embed_documents(self, texts):
        assert self.gate.wait(30)
        time.sleep(self.delay)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


@pytest.fixture
def service(tmp_path):
    service = fake_corpus_service(tmp_path / "data")
    yield service
    service.close()


@pytest.fixture
def client(service):
    return client_for(service)


def slow_down(service, delay: float = 0.25) -> Slow:
    slow = Slow(service.pipeline.embeddings, delay)
    service.pipeline.embeddings = slow
    return slow


def upload(client, name: str, data: bytes, params: dict | None = None, **form):
    files = {"file": (name, data, "text/plain")}
    return client.post("/api/v1/documents", files=files, data=form, params=params or {})


def poll_until(client, job_id: str, done, timeout: float = 60.0) -> list[dict]:
    """GET the job every 50 ms until ``done(job)``; every body seen, in order."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen.append(client.get(f"/api/v1/jobs/{job_id}").json())
        if done(seen[-1]):
            return seen
        time.sleep(0.05)
    pytest.fail(f"job {job_id} never got there: {seen[-1]}")


def ended(job: dict) -> bool:
    return job["state"] not in ("queued", "running")


def counts(service) -> tuple:
    return service.store.registry.counts(), len(service.store.vectors.all_ids())


# -- the contract ------------------------------------------------------------------------------
def test_a_large_upload_is_202_with_a_job_and_then_answerable(client, service):
    started = time.perf_counter()
    response = upload(client, "wakefield-skills.txt", BIG)
    assert response.status_code == 202, response.text
    assert time.perf_counter() - started < 2
    job = response.json()
    assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert job["state"] == "queued" and job["doc_id"] == "wakefield-skills"
    assert job["size_bytes"] == len(BIG) and job["progress"]["stage"] == "queued"
    final = poll_until(client, job["id"], ended)[-1]
    assert final["state"] == "succeeded", final
    assert final["result"]["status"] == "added" and final["result"]["chunk_count"] > 300
    assert final["progress"] == {
        "stage": "done",
        "done": final["progress"]["total"],
        "total": final["progress"]["total"],
        "percent": 100.0,
    }
    assert [j["id"] for j in client.get("/api/v1/jobs").json()["jobs"]] == [job["id"]]
    found = client.get("/api/v1/search", params={"q": "bricklaying courses placements", "k": 20})
    assert any(FINDING in p["chunk"]["text"] for p in found.json()["passages"])
    scoped = {"question": "bricklaying courses?", "filters": {"doc_ids": ["wakefield-skills"]}}
    answer = client.post("/api/v1/ask", json=scoped).json()
    assert {c["doc_id"] for c in answer["citations"]} == {"wakefield-skills"}
    audit = client.get("/api/v1/audit", params={"doc_id": "wakefield-skills"}).json()
    assert audit["entries"][0]["result"] == "added" and audit["entries"][0]["status"] == 202
    assert audit["entries"][0]["detail"] == f"job {job['id']}"


def test_small_uploads_answer_when_indexed_and_wait_chooses(client):
    assert upload(client, "leeds-skills.txt", SMALL).status_code == 201  # under 64 KiB
    assert upload(client, "big-one.txt", BIG, {"wait": "true"}).status_code == 201
    queued = upload(client, "small-job.txt", SMALL.replace(b"Leeds", b"York"), {"wait": "false"})
    assert queued.status_code == 202
    assert poll_until(client, queued.json()["id"], ended)[-1]["result"]["status"] == "added"


@pytest.mark.parametrize(
    ("name", "data", "form", "status", "code"),
    [
        ("tool.exe", b"plain words", {}, 415, "unsupported_media_type"),
        ("empty.txt", b"   \n", {}, 422, "unreadable_document"),
        (
            "latin1.txt",
            "Café culture in Leeds".encode("latin-1") * 10,
            {},
            422,
            "unreadable_document",
        ),
        ("bomb.docx", zip_bomb_docx(1 << 30), {}, 413, "archive_too_large"),
        ("leeds.txt", SMALL, {"metadata": "[1]"}, 422, "invalid_metadata"),
        ("city-of-london-mid-term-review.txt", BIG, {}, 409, "name_conflict"),
    ],
)
def test_refusals_come_before_any_job(client, name, data, form, status, code):
    response = upload(client, name, data, {"wait": "false"}, **form)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert client.get("/api/v1/jobs").json()["count"] == 0


def test_the_size_limit_stays(tmp_path):
    service = fake_corpus_service(tmp_path / "data", max_upload_bytes=100_000)
    try:
        response = upload(client_for(service), "big.txt", BIG, {"wait": "false"})
        assert response.status_code == 413
        assert service.recent_jobs() == []
    finally:
        service.close()


# -- progress, and questions meanwhile ---------------------------------------------------------
def test_progress_moves_and_questions_are_answered_during_the_job(tmp_path):
    service = fake_corpus_service(tmp_path / "data", answer_cache_size=0)  # asks really ask
    client = client_for(service)
    slow_down(service, 0.3)
    before = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS}).json()
    job = upload(client, "wakefield-skills.txt", BIG).json()
    asked: list[int] = []

    def busy(body: dict) -> bool:
        if not ended(body):
            reply = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS})
            asked.append(reply.status_code)
            after = client.get(f"/api/v1/jobs/{job['id']}").json()["progress"]
            if after["stage"] in ("reading", "embedding"):  # not committed yet: the old index
                assert reply.json()["answer"] == before["answer"]
        return ended(body)

    seen = poll_until(client, job["id"], busy)
    done = [b["progress"]["done"] for b in seen if b["progress"]["stage"] == "embedding"]
    assert len(set(done)) >= 3 and done == sorted(done), done
    assert {b["progress"]["stage"] for b in seen} >= {"embedding", "done"}
    assert seen[-1]["state"] == "succeeded"
    assert len(asked) >= 3 and set(asked) == {200}
    assert service.document("wakefield-skills").meta.doc_id == "wakefield-skills"
    service.close()


# -- cancelling --------------------------------------------------------------------------------
def test_a_cancelled_job_commits_nothing_and_frees_the_name(client, service):
    slow_down(service, 0.3)
    before = counts(service)
    job = upload(client, "wakefield-skills.txt", BIG).json()
    poll_until(client, job["id"], lambda b: b["progress"]["done"] > 0)
    listed = client.get("/api/v1/jobs", params={"state": "running"}).json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]  # a client that went away can find it
    response = client.delete(f"/api/v1/jobs/{job['id']}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "cancelled" and body["cancel_requested"]
    assert 0 < body["progress"]["done"] < body["progress"]["total"]
    assert counts(service) == before
    assert client.get("/api/v1/documents/wakefield-skills").status_code == 404
    assert client.delete(f"/api/v1/jobs/{job['id']}").status_code == 409  # job_finished
    entry = client.get("/api/v1/audit", params={"doc_id": "wakefield-skills"}).json()["entries"]
    assert entry[0]["result"] == "cancelled"
    assert upload(client, "wakefield-skills.txt", SMALL, {"wait": "true"}).status_code == 201


def test_a_queued_job_is_cancelled_at_once_and_a_second_upload_of_a_name_is_409(client, service):
    slow = slow_down(service, 0.05)
    slow.gate.clear()  # the first job waits inside the embedder
    first = upload(client, "wakefield-skills.txt", BIG).json()
    second = upload(client, "york-skills.txt", BIG.replace(b"Wakefield", b"York")).json()
    again = upload(client, "york-skills.txt", BIG.replace(b"Wakefield", b"Hull"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "change_in_progress"
    response = client.delete(f"/api/v1/jobs/{second['id']}")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert response.json()["started_at"] is None
    slow.gate.set()
    assert poll_until(client, first["id"], ended)[-1]["state"] == "succeeded"
    assert client.get("/api/v1/documents/york-skills").status_code == 404
    assert client.get("/api/v1/jobs/nope").status_code == 404


def test_a_full_queue_is_503_and_queues_nothing(tmp_path):
    service = fake_corpus_service(tmp_path / "data", max_queued_uploads=1)
    try:
        client = client_for(service)
        slow = slow_down(service, 0.0)
        slow.gate.clear()
        running = upload(client, "a-skills.txt", BIG).json()
        poll_until(client, running["id"], lambda b: b["state"] == "running")
        assert upload(client, "b-skills.txt", BIG.replace(b"Wakefield", b"Bury")).status_code == 202
        full = upload(client, "c-skills.txt", BIG.replace(b"Wakefield", b"Hull"))
        assert full.status_code == 503 and full.json()["error"]["code"] == "queue_full"
        assert client.get("/api/v1/jobs").json()["count"] == 2
        slow.gate.set()
    finally:
        service.close()


# -- restarts ----------------------------------------------------------------------------------
def running_job(store: JobStore, doc_id: str, data: bytes) -> Job:
    import hashlib

    job = Job(
        id=new_job_id(),
        state="running",
        file_name=f"{doc_id}.txt",
        doc_id=doc_id,
        content_hash=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        via="api",
        created_at=now(),
        started_at=now(),
    )
    store.save(job)
    return job


def test_a_restart_marks_a_running_job_failed(service, tmp_path):
    """A process that died mid-job: its rows say running, and its owner lock is free (the
    kernel drops an flock when its process dies; here the dead process's store lets go)."""
    folder = service.settings.data_dir / "jobs"
    dead = JobStore(folder)
    job = running_job(dead, "wakefield-skills", BIG)
    committed = running_job(dead, "city-of-london-mid-term-review", b"elsewhere")
    dead._owner_lock.release()  # what the kernel does when the process dies
    alive = JobStore(folder)  # another live server on the same folder keeps its jobs
    theirs = running_job(alive, "york-skills", SMALL)

    client = client_for(service)
    failed = client.get(f"/api/v1/jobs/{job.id}").json()
    assert failed["state"] == "failed" and failed["finished_at"]
    assert failed["error"]["code"] == "interrupted" and "Upload again" in failed["error"]["message"]
    assert client.get("/api/v1/documents/wakefield-skills").status_code == 404
    assert client.get(f"/api/v1/jobs/{committed.id}").json()["state"] == "failed"
    assert client.get(f"/api/v1/jobs/{theirs.id}").json()["state"] == "running"
    entries = client.get("/api/v1/audit", params={"doc_id": "wakefield-skills"}).json()["entries"]
    assert entries[0]["result"] == "interrupted"
    alive.close()


def test_a_job_that_committed_before_the_restart_is_closed_as_succeeded(service):
    data = (service.settings.corpus_dir / "city-of-london-mid-term-review.txt").read_bytes()
    dead = JobStore(service.settings.data_dir / "jobs")
    job = running_job(dead, "city-of-london-mid-term-review", data)
    dead._owner_lock.release()
    closed = service.job(job.id)
    assert closed.state == "succeeded" and closed.result.chunk_count > 0
    assert "before the server stopped" in closed.result.note


# -- key, UI -----------------------------------------------------------------------------------
def test_jobs_need_the_key(service):
    keyed = client_for(service, api_key=KEY)
    assert keyed.get("/api/v1/jobs").status_code == 401
    assert keyed.delete("/api/v1/jobs/x").status_code == 401
    assert keyed.get("/api/v1/jobs", headers={"X-API-Key": KEY}).status_code == 200


def test_the_ui_starts_a_job_shows_a_bar_and_keeps_the_replace_question(service):
    slow_down(service, 0.1)
    started = uploads.start_upload(service, BIG, "/tmp/gradio/wakefield-skills.txt")
    assert started.ok and started.job_id and "<progress" in started.message
    assert "Adding wakefield-skills.txt" in uploads.progress_html(service.job(started.job_id))
    finished = uploads.job_panel(service.jobs.wait(started.job_id, 60))
    assert finished.ok and finished.message.startswith("Added “Wakefield Adult Skills")
    assert finished.doc_id == "wakefield-skills"
    asked = uploads.start_upload(service, BIG[:-10], "wakefield-skills.txt")
    assert asked.conflict == "wakefield-skills" and "Replace it with this file?" in asked.message
    replaced = uploads.start_upload(service, BIG[:-10], "wakefield-skills.txt", replace=True)
    assert "Replaced" in uploads.job_panel(service.jobs.wait(replaced.job_id, 60)).message
    refused = uploads.start_upload(service, b"", "empty.txt")
    assert not refused.ok and refused.job_id is None and "empty" in refused.message
