"""Properties every corpus must have, checked on the seed documents AND on a second corpus
the answering rules were never written against (eval/heldout: nine council-style documents
with no manifest). Nothing here names a document or a finding: the questions are made from
each document's own metadata, so the same test holds for any council's documents.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.application.service import AssistantService
from assistant.core.settings import Settings
from assistant.retrieval.place_scope import core_name, name_variants
from ingest.gazetteer import Gazetteer
from tests.conftest import CORPUS

HELDOUT = Path(__file__).resolve().parents[2] / "eval" / "heldout" / "corpus"
TOPICS = ["priorities", "funding", "young people", "adult learning"]
CLUTTER = ("agenda item", "issue - meetings", "decision details", "skip to", "cookie")


@pytest.fixture(scope="module", params=["seed", "heldout"])
def any_corpus(request, real_embeddings, tmp_path_factory):
    folder = CORPUS if request.param == "seed" else HELDOUT
    data_dir = tmp_path_factory.mktemp(f"any-{request.param}") / "data"
    service = AssistantService(
        Settings(data_dir=data_dir, corpus_dir=folder), embeddings=real_embeddings
    )
    service.ingest_folder(folder)
    yield service
    service.close()


def _places(service: AssistantService) -> dict[str, set[str]]:
    """Each organisation the index holds documents for -> those documents."""
    owners: dict[str, set[str]] = {}
    for doc_id, meta in service.store.document_metas().items():
        if meta.organisation:
            owners.setdefault(meta.organisation, set()).add(doc_id)
    return owners


def test_every_document_knows_its_organisation_and_a_real_title(any_corpus):
    metas = any_corpus.store.document_metas().values()
    assert all(meta.organisation or meta.place for meta in metas)
    for meta in metas:
        assert not meta.title.casefold().startswith(CLUTTER), meta.title


def test_an_answer_about_a_place_cites_only_that_places_documents(any_corpus):
    metas = any_corpus.store.document_metas()
    for organisation, doc_ids in _places(any_corpus).items():
        for topic in TOPICS:
            answer = any_corpus.ask(f"What does {organisation} say about {topic}?")
            cited = {c.doc_id for c in answer.citations}
            if answer.abstained:
                continue
            assert cited <= doc_ids, (organisation, topic, cited)
            names = {v for d in doc_ids for v in name_variants(metas[d])}
            lead = answer.answer.split(":", 1)[0].casefold()
            assert any(name in lead for name in names), (organisation, answer.answer[:120])


def test_a_council_with_no_document_is_not_answered_for(any_corpus):
    """A real council the index holds nothing for (picked from the gazetteer, so the test
    needs no knowledge of the corpus): the answer abstains rather than quote another place."""
    held = {core_name(name) for name in _places(any_corpus)}
    gazetteer = Gazetteer.load()
    absent = [
        a.name
        for a in gazetteer.authorities
        if core_name(a.name) not in held
        and not any(core_name(a.name) in h or h in core_name(a.name) for h in held)
    ]
    assert absent
    for name in absent[:: max(1, len(absent) // 4)][:4]:
        for topic in TOPICS[:2]:
            answer = any_corpus.ask(f"What is {name}'s budget for {topic}?")
            assert answer.abstained, (name, topic, answer.answer[:160])
