"""Editable metadata: PATCH /api/v1/documents/{id}, kept across re-ingest and restarts, used at
once by filters, lead-ins and the answer cache; provenance in GET /api/v1/documents."""

from __future__ import annotations

import shutil

import pytest

from assistant.application.service import AssistantService
from assistant.core.filters import SearchFilters
from tests.api_support import client_for
from tests.conftest import CORPUS

DOC = "kirklees-learning-strategy-scrutiny"


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "corpus"
    target.mkdir()
    for name in ("kirklees-learning-strategy-scrutiny.txt", "birmingham-learning-city-survey.txt"):
        shutil.copy(CORPUS / name, target / name)  # no manifest: identities are inferred
    return target


@pytest.fixture
def service(fake_settings, folder):
    service = AssistantService(fake_settings.model_copy(update={"ui_enabled": False}))
    service.ingest_folder(folder)
    yield service
    service.close()


def listed(client, doc_id: str) -> dict:
    documents = client.get("/api/v1/documents").json()["documents"]
    return next(d["meta"] for d in documents if d["meta"]["doc_id"] == doc_id)


def test_documents_list_what_was_inferred_and_from_where(service):
    meta = listed(client_for(service), DOC)
    assert meta["organisation"] == "Kirklees Council" and meta["place"] == "Kirklees"
    assert meta["title"] == "Learning Strategy: report to Children's Scrutiny"
    assert meta["extra"]["provenance"]["place"] == "inferred"
    assert meta["extra"]["inferred_from"]["date"] == "text"


def test_patch_edits_the_metadata_and_marks_the_fields_edited(service):
    client = client_for(service)
    response = client.patch(
        f"/api/v1/documents/{DOC}", json={"place": "Huddersfield", "short_name": "Kirklees plan"}
    )
    assert response.status_code == 200, response.text
    meta = response.json()["meta"]
    assert meta["place"] == "Huddersfield" and meta["short_name"] == "Kirklees plan"
    assert meta["extra"]["provenance"]["place"] == "edited"
    assert listed(client, DOC)["place"] == "Huddersfield"
    undone = client.patch(f"/api/v1/documents/{DOC}", json={"place": None}).json()["meta"]
    assert undone["place"] == "Kirklees" and undone["extra"]["provenance"]["place"] == "inferred"


def test_an_edit_takes_effect_at_once_for_filters_and_the_answer_cache(service):
    question = "How will the learning strategy be developed?"
    before = service.ask(question, filters=SearchFilters(places=["Huddersfield"]))
    assert before.abstained and not before.citations
    generation = service.store.registry.generation()
    service.edit_document(DOC, {"place": "Huddersfield"})
    assert service.store.registry.generation() == generation + 1
    after = service.ask(question, filters=SearchFilters(places=["Huddersfield"]))
    assert not after.cached and {c.doc_id for c in after.citations} == {DOC}


def test_an_edit_reaches_the_keyword_index_and_the_lead_in(service):
    service.edit_document(DOC, {"short_name": "Zebracrossing review"})
    passages = service.search("Zebracrossing", k=3)
    assert passages and passages[0].chunk.doc_id == DOC
    assert passages[0].document.short_name == "Zebracrossing review"


def test_edits_outlive_a_re_ingest_of_changed_content_and_a_restart(service, folder):
    service.edit_document(DOC, {"title": "Kirklees Learning Strategy update", "date": "2020-10"})
    path = folder / f"{DOC}.txt"
    path.write_text(path.read_text() + "\nA new closing paragraph about the next steps.\n")
    report = service.ingest_folder(folder)
    assert report.updated == [DOC]
    settings = service.settings
    service.close()
    restarted = AssistantService(settings)
    try:
        meta = restarted.document(DOC).meta
    finally:
        restarted.close()
    assert meta.title == "Kirklees Learning Strategy update" and meta.date == "2020-10"
    assert meta.extra["provenance"]["title"] == "edited"
    assert meta.organisation == "Kirklees Council"  # fields not edited are inferred afresh


@pytest.mark.parametrize(
    "body",
    [{"date": "1st October"}, {"colour": "blue"}, {"title": 3}, {"summary": "x" * 2001}],
)
def test_invalid_edits_are_422(service, body):
    response = client_for(service).patch(f"/api/v1/documents/{DOC}", json=body)
    assert response.status_code == 422


def test_unknown_document_is_404(service):
    response = client_for(service).patch("/api/v1/documents/nope", json={"place": "Leeds"})
    assert response.status_code == 404


def test_edits_need_the_api_key_like_every_write(service):
    client = client_for(service, api_key="secret-key")
    assert client.patch(f"/api/v1/documents/{DOC}", json={"place": "X"}).status_code == 401
    ok = client.patch(
        f"/api/v1/documents/{DOC}", json={"place": "X"}, headers={"X-API-Key": "secret-key"}
    )
    assert ok.status_code == 200
