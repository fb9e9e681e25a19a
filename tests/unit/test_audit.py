"""The audit trail of document changes (issue 12, "Also"): upload, replace and delete, with
time, client address, document id, content hash and result, kept with the feedback data and
listed by the key-protected ``GET /api/v1/audit``."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from assistant.application.documents import Caller
from assistant.application.feedback_store import FeedbackStore
from tests.api_support import client_for
from ui import uploads

KEY = "audit-test-key"
MID_TERM = "city-of-london-mid-term-review"
LEEDS = b"# Leeds skills plan\n\nThe Leeds plan doubles digital apprenticeships by 2030.\n"
LEEDS_2 = LEEDS.replace(b"2030", b"2028")
AUTH = {"X-API-Key": KEY}


@pytest.fixture
def service(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    return fake_service


@pytest.fixture
def client(service):
    return client_for(service, api_key=KEY)


def upload(client, name: str, data: bytes, **form):
    return client.post(
        "/api/v1/documents",
        files={"file": (name, data, "text/plain")},
        data=form,
        headers=AUTH,
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def audit(client, **params) -> list[dict]:
    response = client.get("/api/v1/audit", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def test_upload_replace_refusal_and_delete_are_each_recorded(client, service):
    assert upload(client, "leeds-skills.txt", LEEDS).status_code == 201
    assert upload(client, "leeds-skills.txt", LEEDS_2).status_code == 409
    assert upload(client, "leeds-skills.txt", LEEDS_2, replace="true").status_code == 200
    assert client.delete("/api/v1/documents/leeds-skills", headers=AUTH).status_code == 200
    entries = audit(client)
    assert [(e["action"], e["result"], e["status"]) for e in entries] == [
        ("delete", "deleted", 200),
        ("replace", "updated", 200),
        ("upload", "name_conflict", 409),
        ("upload", "added", 201),
    ]
    assert {e["doc_id"] for e in entries} == {"leeds-skills"}
    assert [e["content_hash"] for e in entries] == [
        sha(LEEDS_2),
        sha(LEEDS_2),
        sha(LEEDS_2),
        sha(LEEDS),
    ]
    for entry in entries:
        assert entry["client"] == "testclient" and entry["via"] == "api"
        assert entry["file_name"] == "leeds-skills.txt"
        assert datetime.fromisoformat(entry["at"]).tzinfo is not None
    assert "replace=true" in entries[2]["detail"]
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True)


def test_the_hash_ties_an_answer_to_the_version_it_came_from(client, service):
    upload(client, "leeds-skills.txt", LEEDS)
    chunk_id = service.store.registry.chunks_of("leeds-skills")[0].chunk_id
    entry = audit(client, doc_id="leeds-skills")[0]
    assert chunk_id.split(":")[1] == entry["content_hash"][:12]


def test_refused_and_missing_changes_are_recorded_too(client):
    assert upload(client, "tool.exe", b"plain words").status_code == 415
    assert client.delete("/api/v1/documents/no-such-doc", headers=AUTH).status_code == 404
    entries = audit(client)
    assert (entries[0]["action"], entries[0]["result"], entries[0]["status"]) == (
        "delete",
        "not_found",
        404,
    )
    assert (entries[1]["result"], entries[1]["status"]) == ("unsupported_media_type", 415)
    assert entries[1]["content_hash"] == sha(b"plain words")


def test_no_op_uploads_are_recorded_with_what_they_matched(client, corpus_copy):
    data = (corpus_copy / f"{MID_TERM}.txt").read_bytes()
    upload(client, f"{MID_TERM}.txt", data)
    upload(client, "copy.txt", data)
    duplicate, unchanged = audit(client)[:2]
    assert (unchanged["result"], unchanged["doc_id"]) == ("unchanged", MID_TERM)
    assert (duplicate["result"], duplicate["doc_id"]) == ("duplicate", MID_TERM)
    assert duplicate["file_name"] == "copy.txt" and "same content" in duplicate["detail"]


def test_ui_uploads_are_recorded_as_the_ui(service):
    client = client_for(service, api_key=KEY)
    caller = Caller(via="ui", client="10.1.2.3")
    assert uploads.upload_document(service, LEEDS, "/tmp/gradio/x/leeds.txt", caller=caller).ok
    entry = audit(client)[0]
    assert (entry["via"], entry["client"], entry["doc_id"]) == ("ui", "10.1.2.3", "leeds")


def test_the_audit_needs_the_key(client):
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/api/v1/audit", headers={"X-API-Key": "wrong"}).status_code == 401


def test_the_audit_is_kept_in_the_feedback_database(client, service):
    upload(client, "leeds-skills.txt", LEEDS)
    reopened = FeedbackStore(service.settings.data_dir / "feedback.sqlite")
    try:
        assert reopened.audit.list(limit=1)[0].doc_id == "leeds-skills"
    finally:
        reopened.close()


def test_listing_pages_and_filters(client):
    for i in range(3):
        upload(client, f"note-{i}.txt", f"Evening classes {i}".encode())
    page = client.get("/api/v1/audit", params={"limit": 2, "offset": 1}, headers=AUTH).json()
    assert page["count"] == 2 and page["limit"] == 2 and page["offset"] == 1
    assert [e["doc_id"] for e in page["entries"]] == ["note-1", "note-0"]
    assert [e["doc_id"] for e in audit(client, doc_id="note-2")] == ["note-2"]
    assert client.get("/api/v1/audit", params={"limit": 0}, headers=AUTH).status_code == 422
