"""Uploads, deletes and feedback through the API (each test on its own fake-embedding index)."""

from __future__ import annotations

import pytest

from tests.api_support import client_for
from tests.documents import make_docx, make_pdf

LEEDS = (
    b"# Leeds skills plan\n\nThe Leeds skills plan commits to doubling digital apprenticeships "
    b"in the city by 2030, working with colleges and employers.\n"
)


@pytest.fixture
def service(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    return fake_service


@pytest.fixture
def client(service):
    return client_for(service)


def upload(client, name: str, data: bytes, content_type: str = "application/octet-stream"):
    return client.post("/api/v1/documents", files={"file": (name, data, content_type)})


def doc_ids(client) -> set[str]:
    return {d["meta"]["doc_id"] for d in client.get("/api/v1/documents").json()["documents"]}


def test_upload_indexes_a_new_document_and_it_is_searchable(client):
    response = upload(client, "leeds-skills.txt", LEEDS, "text/plain")
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "doc_id": "leeds-skills",
        "chunk_count": body["chunk_count"],
        "status": "added",
        "file_name": "leeds-skills.txt",
        "seconds": body["seconds"],
    }
    assert body["chunk_count"] >= 1
    assert response.headers["location"] == "/api/v1/documents/leeds-skills"
    assert "leeds-skills" in doc_ids(client)
    detail = client.get("/api/v1/documents/leeds-skills").json()
    assert detail["meta"]["title"] == "Leeds skills plan"
    hits = client.get(
        "/api/v1/search", params={"q": "digital apprenticeships", "doc": "leeds-skills"}
    ).json()
    assert any("doubling digital apprenticeships" in p["chunk"]["text"] for p in hits["passages"])


def test_reupload_is_a_no_op_and_same_content_is_never_indexed_twice(client):
    first = upload(client, "leeds-skills.txt", LEEDS).json()
    chunks_before = client.get("/health").json()["chunks"]
    again = upload(client, "leeds-skills.txt", LEEDS)
    assert again.status_code == 200
    assert again.json()["status"] == "unchanged" and again.json()["doc_id"] == first["doc_id"]
    renamed = upload(client, "copy-of-leeds.txt", LEEDS)
    assert renamed.status_code == 200
    assert renamed.json()["status"] == "duplicate"
    assert renamed.json()["doc_id"] == "leeds-skills"
    assert "copy-of-leeds" not in doc_ids(client)
    assert client.get("/health").json()["chunks"] == chunks_before


def test_changed_content_under_the_same_name_updates_only_when_asked_to_replace(client):
    # Issue 12: a different file under an existing name used to replace it silently.
    upload(client, "leeds-skills.txt", LEEDS)
    changed = LEEDS.replace(b"2030", b"2028")
    refused = upload(client, "leeds-skills.txt", changed)
    assert refused.status_code == 409 and refused.json()["error"]["doc_id"] == "leeds-skills"
    assert "2030" in client.get("/api/v1/documents/leeds-skills/text").json()["text"]
    response = client.post(
        "/api/v1/documents",
        files={"file": ("leeds-skills.txt", changed, "application/octet-stream")},
        data={"replace": "true"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "updated"
    text = client.get("/api/v1/documents/leeds-skills/text").json()["text"]
    assert "2028" in text and "2030" not in text


def test_pdf_and_docx_uploads_are_recognised_by_content(client):
    pages = [
        "Committee minutes on adult education and the new evening courses for learners.",
        "The committee agreed to fund two more library learning centres next year.",
    ]
    pdf = upload(client, "minutes.pdf", make_pdf(pages))
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["doc_id"] == "minutes"
    hits = client.get("/api/v1/search", params={"q": "library learning centres", "doc": "minutes"})
    top = hits.json()["passages"][0]["chunk"]
    # pages are kept: the passage runs from page 1 to 2, its second sentence is on page 2
    assert "library learning centres" in top["text"] and top["sentence_pages"] == [1, 2]
    docx = upload(client, "plan.docx", make_docx())
    assert docx.status_code == 201, docx.text
    # A file without an extension is typed by its content.
    nameless = upload(client, "report", make_pdf([p.upper() for p in pages]))
    assert nameless.status_code == 201, nameless.text
    assert nameless.json()["file_name"] == "report.pdf"


@pytest.mark.parametrize(
    "name, data, words",
    [
        ("fake.pdf", b"just some text pretending to be a PDF", ["says .pdf", "content is text"]),
        ("fake.docx", b"plain text, not a Word file", ["says .docx"]),
        ("notes.txt", make_pdf(["a real PDF"]), ["says .txt", "PDF"]),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", [".png"]),
        ("blob.bin", b"\x00\x01\x02\x03" * 100, [".bin"]),
        ("binary.txt", b"\x00\x01\x02\x03" * 100, ["binary"]),
    ],
)
def test_wrong_or_unsupported_types_are_415(client, name, data, words):
    response = upload(client, name, data)
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type"
    for word in words:
        assert word in error["message"]
    assert name.rsplit(".", 1)[0] not in doc_ids(client)


def test_empty_and_unreadable_uploads_are_422(client):
    empty = upload(client, "empty.txt", b"")
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "unreadable_document"
    assert "empty" in empty.json()["error"]["message"]
    latin1 = upload(client, "latin.txt", "Café culture in Kirklees".encode("cp1252") * 3)
    assert latin1.status_code == 422
    assert "UTF-8" in latin1.json()["error"]["message"]
    missing = client.post("/api/v1/documents", data={"file": "not a file"})
    assert missing.status_code == 422


def test_upload_over_the_size_limit_is_413(service):
    client = client_for(service, max_upload_bytes=2048)
    response = upload(client, "big.txt", b"word " * 1000)  # 5000 bytes
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and error["limit_bytes"] == 2048
    assert "2048" in error["message"]
    assert "big" not in doc_ids(client)
    # A declared body far over the limit is refused before it is read.
    declared = client.post(
        "/api/v1/documents",
        content=b"x",
        headers={"content-type": "multipart/form-data; boundary=x", "content-length": "99999999"},
    )
    assert declared.status_code == 413


def test_delete_removes_the_document_everywhere(client):
    doc = "kirklees-learning-strategy-scrutiny"
    chunk_id = client.get("/api/v1/search", params={"q": "Kirklees", "doc": doc, "k": 1}).json()[
        "passages"
    ][0]["chunk"]["chunk_id"]
    chunks_before = client.get("/health").json()["chunks"]
    response = client.delete(f"/api/v1/documents/{doc}")
    assert response.status_code == 200
    assert response.json() == {"doc_id": doc, "status": "deleted"}
    assert doc not in doc_ids(client)
    health = client.get("/health").json()
    assert health["chunks"] == health["vectors"] < chunks_before
    assert client.get(f"/api/v1/documents/{doc}").status_code == 404
    assert client.get(f"/api/v1/passages/{chunk_id}").status_code == 404
    found = client.get("/api/v1/search", params={"q": "Kirklees learning strategy", "k": 50})
    assert doc not in {p["chunk"]["doc_id"] for p in found.json()["passages"]}
    # A filter on the deleted id is refused by name (issue 12), not an empty answer.
    filtered = client.get("/api/v1/search", params={"q": "Kirklees", "doc": doc})
    assert filtered.status_code == 422 and filtered.json()["error"]["unknown_doc_ids"] == [doc]
    again = client.delete(f"/api/v1/documents/{doc}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"


def test_uploaded_then_deleted_document_can_be_uploaded_again(client):
    assert upload(client, "leeds-skills.txt", LEEDS).json()["status"] == "added"
    assert client.delete("/api/v1/documents/leeds-skills").status_code == 200
    assert upload(client, "leeds-skills.txt", LEEDS).json()["status"] == "added"


# -- feedback --------------------------------------------------------------------------------
def test_feedback_is_stored_and_listed_newest_first(client, service):
    first = client.post(
        "/api/v1/feedback",
        json={
            "rating": "up",
            "question": "What did partners say about apprenticeships?",
            "answer": "It improved. [1]",
            "chunk_ids": ["city-of-london-mid-term-review:abc:0001"],
        },
    )
    assert first.status_code == 201
    record = first.json()
    assert record["id"] >= 1 and record["created_at"]
    second = client.post(
        "/api/v1/feedback", json={"rating": "down", "question": "q2", "comment": "wrong doc"}
    )
    assert second.status_code == 201
    listing = client.get("/api/v1/feedback").json()
    assert listing["count"] == 2
    assert [f["rating"] for f in listing["feedback"]] == ["down", "up"]
    assert listing["feedback"][1]["chunk_ids"] == ["city-of-london-mid-term-review:abc:0001"]
    page = client.get("/api/v1/feedback", params={"limit": 1, "offset": 1}).json()
    assert [f["id"] for f in page["feedback"]] == [record["id"]]
    # Stored in SQLite under the data folder, so it survives the process.
    assert (service.settings.data_dir / "feedback.sqlite").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"rating": "meh", "question": "q"},
        {"rating": "up"},
        {"rating": "up", "question": ""},
        {"rating": "up", "question": "q", "chunk_ids": "abc"},
    ],
)
def test_invalid_feedback_is_422(client, body):
    response = client.post("/api/v1/feedback", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 5000}, {"offset": -1}])
def test_feedback_listing_bounds(client, params):
    assert client.get("/api/v1/feedback", params=params).status_code == 422
