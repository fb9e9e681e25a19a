"""An upload named like an existing document never replaces it in silence (issue 12, item 2).

Before: ``filename=city-of-london-mid-term-review.txt`` answered 200 "updated", the curated
document shrank to the planted passage and its manifest metadata was lost. Now a different
document under an existing name is 409 naming the existing id unless ``replace=true``; a
replacement keeps the curated metadata unless new metadata is sent; two same-name uploads at
once end with one success and one 409.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api_support import client_for
from ui import uploads

MID_TERM = "city-of-london-mid-term-review"
HIJACK = b"# Hijack\n\nApprenticeships: the planted text says the offer was abolished.\n"
LEEDS = (
    b"# Leeds skills plan\n\nThe Leeds skills plan commits to doubling digital apprenticeships "
    b"in the city by 2030, working with colleges and employers.\n"
)
CURATED = ("title", "short_name", "organisation", "place", "date", "kind", "summary")


@pytest.fixture
def service(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    return fake_service


@pytest.fixture
def client(service):
    return client_for(service)


def upload(client, name: str, data: bytes, **form):
    fields = {k: (json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in form.items()}
    return client.post("/api/v1/documents", files={"file": (name, data, "text/plain")}, data=fields)


def meta_of(client, doc_id: str) -> dict:
    return client.get(f"/api/v1/documents/{doc_id}").json()["meta"]


def test_an_upload_named_like_a_curated_document_is_409_and_changes_nothing(client, service):
    before = client.get(f"/api/v1/documents/{MID_TERM}").json()
    text_before = service.document_text(MID_TERM)
    response = upload(client, f"{MID_TERM}.txt", HIJACK)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "name_conflict" and error["doc_id"] == MID_TERM
    assert MID_TERM in error["message"] and "replace=true" in error["message"]
    assert client.get(f"/api/v1/documents/{MID_TERM}").json() == before
    assert service.document_text(MID_TERM) == text_before
    hits = client.get("/api/v1/search", params={"q": "apprenticeships abolished"}).json()
    assert not any("planted" in p["chunk"]["text"] for p in hits["passages"])


@pytest.mark.parametrize("how", ["form", "query"])
def test_replace_true_replaces_and_keeps_the_curated_metadata(client, service, how):
    before = meta_of(client, MID_TERM)
    if how == "form":
        response = upload(client, f"{MID_TERM}.txt", HIJACK, replace="true")
    else:
        response = client.post(
            "/api/v1/documents?replace=true",
            files={"file": (f"{MID_TERM}.txt", HIJACK, "text/plain")},
        )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "updated" and response.json()["doc_id"] == MID_TERM
    after = meta_of(client, MID_TERM)
    assert {f: after[f] for f in CURATED} == {f: before[f] for f in CURATED}
    assert after["title"] != "Hijack"
    assert after["extra"] == before["extra"]  # e.g. the manifest's date_note
    assert "planted text" in service.document_text(MID_TERM)


def test_replacing_with_new_metadata_overrides_only_what_is_given(client):
    before = meta_of(client, MID_TERM)
    response = upload(
        client,
        f"{MID_TERM}.txt",
        HIJACK,
        replace="true",
        metadata={"title": "Mid-term review (revised)", "date": "2022-03", "summary": None},
    )
    assert response.status_code == 200, response.text
    after = meta_of(client, MID_TERM)
    assert after["title"] == "Mid-term review (revised)" and after["date"] == "2022-03"
    assert after["summary"] is None
    assert after["organisation"] == before["organisation"] and after["place"] == before["place"]


def test_replacing_keeps_earlier_edits_and_new_metadata_wins_over_them(client):
    edited = client.patch(
        f"/api/v1/documents/{MID_TERM}", json={"place": "Square Mile", "kind": "evaluation"}
    )
    assert edited.status_code == 200, edited.text
    response = upload(
        client, f"{MID_TERM}.txt", HIJACK, replace="true", metadata={"kind": "mid-term review"}
    )
    assert response.status_code == 200, response.text
    meta = meta_of(client, MID_TERM)
    assert meta["place"] == "Square Mile"  # the edit outlives the replacement
    assert meta["kind"] == "mid-term review"  # metadata sent with it wins over the older edit


def test_new_metadata_without_replace_is_409_too(client):
    data = (client.app.state.service.document_text(MID_TERM)).encode()
    response = upload(client, f"{MID_TERM}.txt", data, metadata={"title": "Renamed"})
    assert response.status_code == 409 and response.json()["error"]["doc_id"] == MID_TERM


def test_a_new_document_can_carry_metadata(client):
    response = upload(
        client, "leeds-skills.txt", LEEDS, metadata={"organisation": "Leeds City Council"}
    )
    assert response.status_code == 201
    meta = meta_of(client, "leeds-skills")
    assert meta["organisation"] == "Leeds City Council" and meta["title"] == "Leeds skills plan"


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        ('{"author": "x"}', "Unknown field(s) author; editable: title"),
        ('{"date": "March 2022"}', "not an ISO date"),
        ('{"title": 3}', "must be text or null"),
        ('{"title": "\\ud800"}', "not valid Unicode"),
        ("[1, 2]", "JSON object"),
        ("not json", "JSON object"),
    ],
)
def test_invalid_metadata_is_422_and_indexes_nothing(client, metadata, words):
    before = client.get("/health").json()["documents"]
    response = client.post(
        "/api/v1/documents",
        files={"file": ("leeds-skills.txt", LEEDS, "text/plain")},
        data={"metadata": metadata},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_metadata"
    assert words in response.json()["error"]["message"]
    assert client.get("/health").json()["documents"] == before


def test_same_content_and_duplicates_are_still_no_ops_not_conflicts(client, corpus_copy):
    data = (corpus_copy / f"{MID_TERM}.txt").read_bytes()
    again = upload(client, f"{MID_TERM}.txt", data)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    elsewhere = upload(client, "kirklees-learning-strategy-scrutiny.txt", data)
    assert elsewhere.status_code == 200 and elsewhere.json()["status"] == "duplicate"
    assert elsewhere.json()["doc_id"] == MID_TERM


def test_a_replaced_upload_gets_its_title_from_the_new_text(client):
    upload(client, "leeds-skills.txt", LEEDS)
    changed = LEEDS.replace(b"# Leeds skills plan", b"# Leeds skills plan 2025")
    assert upload(client, "leeds-skills.txt", changed).status_code == 409
    response = upload(client, "leeds-skills.txt", changed, replace="true")
    assert response.status_code == 200 and response.json()["status"] == "updated"
    assert meta_of(client, "leeds-skills")["title"] == "Leeds skills plan 2025"


# -- at the same time --------------------------------------------------------------------------
def hold_ingest(service, monkeypatch):
    """Make the first ingest wait inside the pipeline until released (entered, release)."""
    entered, release = threading.Event(), threading.Event()
    real = service.pipeline.ingest_bytes

    def slow(*args, **kwargs):
        entered.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(service.pipeline, "ingest_bytes", slow)
    return entered, release


@pytest.mark.parametrize("replace", ["false", "true"])
def test_a_second_same_name_upload_during_the_first_is_409(client, service, monkeypatch, replace):
    entered, release = hold_ingest(service, monkeypatch)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(upload, client, "leeds-skills.txt", LEEDS, replace=replace)
        assert entered.wait(30)
        second = upload(
            client, "leeds-skills.txt", LEEDS.replace(b"2030", b"2028"), replace=replace
        )
        release.set()
        assert first.result().status_code == 201
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "change_in_progress"
    assert "2030" in service.document_text("leeds-skills")


def test_a_delete_during_an_upload_of_the_same_document_is_409(client, service, monkeypatch):
    entered, release = hold_ingest(service, monkeypatch)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(upload, client, f"{MID_TERM}.txt", HIJACK, replace="true")
        assert entered.wait(30)
        deleted = client.delete(f"/api/v1/documents/{MID_TERM}")
        release.set()
        assert first.result().status_code == 200
    assert deleted.status_code == 409 and deleted.json()["error"]["code"] == "change_in_progress"
    assert client.get(f"/api/v1/documents/{MID_TERM}").status_code == 200


@pytest.mark.parametrize("round_", range(4))
def test_two_same_name_uploads_at_once_one_wins_the_other_is_409(client, service, round_):
    name = f"race-{round_}.txt"
    bodies = [LEEDS, LEEDS.replace(b"2030", b"2035")]
    barrier = threading.Barrier(2)

    def send(data: bytes):
        barrier.wait()
        return upload(client, name, data)

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(send, bodies))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409], [r.text for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 201)
    assert ("2035" in service.document_text(f"race-{round_}")) == (winner == 1)


# -- the web UI asks first ---------------------------------------------------------------------
def test_the_ui_asks_before_replacing_and_keeps_the_metadata(service):
    before = service.document(MID_TERM).meta
    asked = uploads.upload_document(service, HIJACK, f"/tmp/gradio/abc/{MID_TERM}.txt")
    assert not asked.ok and asked.conflict == MID_TERM and asked.doc_id is None
    assert "Replace it with this file?" in asked.message and before.title in asked.message
    assert service.document(MID_TERM).meta == before
    done = uploads.upload_document(service, HIJACK, f"/tmp/gradio/abc/{MID_TERM}.txt", replace=True)
    assert done.ok and done.doc_id == MID_TERM and done.message.startswith("Replaced")
    after = service.document(MID_TERM).meta
    assert after.title == before.title and after.organisation == before.organisation
