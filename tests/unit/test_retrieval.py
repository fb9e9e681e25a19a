"""Fusion, filters, diversity and the LangChain retriever interface."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.documents import Document

from assistant.core.filters import SearchFilters
from assistant.core.models import Chunk, DocumentMeta, Passage
from assistant.retrieval.diversity import mmr_select
from assistant.retrieval.fusion import reciprocal_rank_fusion


def test_rrf_rewards_agreement_between_rankings():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60)
    ids = [i for i, _ in fused]
    assert ids[0] == "b"  # 1/62 + 1/61 beats 1/61 alone
    assert dict(fused)["a"] == pytest.approx(1 / 61)
    assert dict(fused)["b"] == pytest.approx(1 / 62 + 1 / 61)
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], k=0)


def test_rrf_weights():
    fused = dict(reciprocal_rank_fusion([["a"], ["b"]], k=1, weights=[2.0, 1.0]))
    assert fused["a"] == pytest.approx(1.0) and fused["b"] == pytest.approx(0.5)


def meta(doc_id, **kw):
    return DocumentMeta(doc_id=doc_id, title=doc_id, **kw)


def test_filters_match_every_given_field():
    doc = meta(
        "k",
        place="Kirklees",
        kind="scrutiny report",
        date="2020-10-01",
        organisation="Kirklees Council",
    )
    assert SearchFilters().is_empty()
    assert SearchFilters(places=["kirklees"]).accepts(doc)
    assert not SearchFilters(places=["Birmingham"]).accepts(doc)
    assert SearchFilters(kinds=["scrutiny report", "review"], date_from="2019").accepts(doc)
    assert SearchFilters(date_from="2020-10", date_to="2020").accepts(doc)
    assert not SearchFilters(date_to="2019").accepts(doc)
    assert not SearchFilters(date_from="2021").accepts(doc)
    assert not SearchFilters(doc_ids=["other"]).accepts(doc)
    assert not SearchFilters(date_from="2000").accepts(meta("undated"))


def passage(chunk_id, doc_id, score):
    chunk = Chunk(chunk_id=chunk_id, doc_id=doc_id, ordinal=0, text=chunk_id, start=0, end=1)
    return Passage(chunk=chunk, document=meta(doc_id), score=score)


def test_mmr_prefers_a_second_document_over_a_near_duplicate():
    same = np.array([1.0, 0.0], dtype=np.float32)
    other = np.array([0.6, 0.8], dtype=np.float32)
    passages = [passage("a1", "A", 0.90), passage("a2", "A", 0.89), passage("b1", "B", 0.80)]
    vectors = {"a1": same, "a2": same, "b1": other}
    chosen = mmr_select(passages, vectors, k=2, lambda_=0.7)
    assert [p.chunk.chunk_id for p in chosen] == ["a1", "b1"]
    assert [p.chunk.chunk_id for p in mmr_select(passages, vectors, 2, 1.0)] == ["a1", "a2"]


def test_hybrid_retriever_filters_and_langchain_interface(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    retriever = fake_service.retriever
    kirklees = SearchFilters(places=["Kirklees"])
    passages = retriever.retrieve("learning strategy phases", kirklees, 4).passages
    assert passages and {p.chunk.doc_id for p in passages} == {
        "kirklees-learning-strategy-scrutiny"
    }
    city = SearchFilters(organisations=["City of London Corporation"], date_from="2021")
    assert {p.chunk.doc_id for p in retriever.retrieve("partners", city, 5).passages} == {
        "city-of-london-mid-term-review"
    }
    assert retriever.retrieve("anything", SearchFilters(places=["Leeds"]), 5).passages == []
    documents = retriever.invoke("apprenticeships offer")
    assert documents and all(isinstance(d, Document) for d in documents)
    assert {"chunk_id", "doc_id", "start", "end", "section"} <= set(documents[0].metadata)


def test_bm25_only_mode_finds_exact_terms(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    retriever = fake_service.retriever.model_copy(update={"mode": "bm25"})
    top = retriever.retrieve("Escola Nova 21 Catalonia", None, 3).passages
    assert any("Escola Nova" in p.chunk.text for p in top)


def test_the_retriever_is_a_langchain_runnable(fake_service, corpus_copy):
    """``invoke``/``batch`` return LangChain Documents carrying the passage's citation fields,
    in the same order as the typed ``retrieve``."""
    fake_service.ingest_folder(corpus_copy)
    retriever = fake_service.retriever
    documents = retriever.invoke("Fusion Skills")
    typed = retriever.retrieve("Fusion Skills").passages
    assert [d.id for d in documents] == [p.chunk.chunk_id for p in typed]
    first = documents[0]
    assert first.metadata["doc_id"] == typed[0].chunk.doc_id
    assert first.page_content == typed[0].chunk.text
    batch = retriever.batch(["Fusion Skills", "Kirklees phases"])
    assert [len(b) for b in batch] == [
        len(typed),
        len(retriever.retrieve("Kirklees phases").passages),
    ]


def test_sentence_search_within_passages_matches_the_full_scan_restricted_to_them():
    from assistant.index.sentence_index import SentenceIndex

    rng = np.random.default_rng(7)
    owners = [f"doc{i % 3}:h:{i // 2:04d}" for i in range(40)]
    owners.sort()  # rows of one passage are contiguous, as the registry yields them
    matrix = rng.normal(size=(40, 16)).astype(np.float32)
    index = SentenceIndex(matrix, owners, generation=1)
    query = rng.normal(size=16).astype(np.float32)
    within = sorted(set(owners))[::2]
    full = dict(index.search(query, 100))
    expected = sorted(((o, full[o]) for o in within), key=lambda pair: -pair[1])[:5]
    got = index.search(query, 5, within=within)
    assert [o for o, _ in got] == [o for o, _ in expected]
    assert np.allclose([s for _, s in got], [s for _, s in expected])
    only_doc0 = index.search(query, 5, doc_ids={"doc0"}, within=within)
    assert only_doc0 and all(o.startswith("doc0:") for o, _ in only_doc0)


def test_a_large_index_scores_the_sentences_of_the_nearest_passages_only(fake_service, corpus_copy):
    from assistant.application.service import AssistantService

    fake_service.ingest_folder(corpus_copy)
    question = "What did partners say about apprenticeships?"
    exact = fake_service.retriever.retrieve(question, diversify=False)
    settings = fake_service.settings.model_copy(
        update={"sentence_scan_limit": 0, "sentence_pool_k": 1000}  # pool: every passage
    )
    pooled_service = AssistantService(settings, store=fake_service.store)
    assert pooled_service.retriever.sentence_scan_limit == 0
    pooled = pooled_service.retriever.retrieve(question, diversify=False)
    pooled_service.feedback.close()  # the store is fake_service's, closed by its fixture
    assert [p.chunk.chunk_id for p in pooled.passages] == [p.chunk.chunk_id for p in exact.passages]


def test_the_passage_scan_finds_the_passages_chromas_index_finds(fake_service, corpus_copy):
    """Scanning every passage vector (small indexes) and Chroma's HNSW query (large ones)
    give the same dense list on the seed corpus, filtered or not."""
    from assistant.application.service import AssistantService

    fake_service.ingest_folder(corpus_copy)
    retriever = fake_service.retriever
    assert retriever.passage_scan_limit > 0
    settings = fake_service.settings.model_copy(update={"passage_scan_limit": 0})
    chroma_service = AssistantService(settings, store=fake_service.store)
    index = fake_service.store.sentence_index()
    assert index.passage_count == fake_service.store.registry.counts()[1]
    one_document = {sorted(fake_service.store.document_metas())[0]}
    for question in ("What did partners say about apprenticeships?", "cultural venues"):
        vector = retriever.query_vector(question)
        for allowed in (None, one_document):
            scanned, _ = retriever.dense_rankings(vector, 20, allowed)
            queried, _ = chroma_service.retriever.dense_rankings(vector, 20, allowed)
            assert [i for i, _ in scanned] == [i for i, _ in queried]
            assert np.allclose([s for _, s in scanned], [s for _, s in queried], atol=1e-5)
    chroma_service.feedback.close()  # the store is fake_service's, closed by its fixture


def test_a_prepared_keyword_search_retrieves_what_retrieve_finds_alone(fake_service, corpus_copy):
    fake_service.ingest_folder(corpus_copy)
    retriever = fake_service.retriever
    one_document = SearchFilters(doc_ids=["kirklees-learning-strategy-scrutiny"])
    for question in ("What did partners say about apprenticeships?", "cultural venues"):
        for filters in (None, one_document):
            alone = retriever.retrieve(question, filters)
            keyword = retriever.prepare(question, filters)
            assert keyword.hits and (filters is None) == (keyword.allowed is None)
            prepared = retriever.retrieve(question, filters, keyword=keyword)
            assert [(p.chunk.chunk_id, p.scores) for p in prepared.passages] == [
                (p.chunk.chunk_id, p.scores) for p in alone.passages
            ]
    with pytest.raises(ValueError, match="another question"):
        retriever.retrieve("skills", keyword=retriever.prepare("apprenticeships"))


def test_an_ask_encodes_once_and_runs_each_bm25_search_once(fake_service, corpus_copy, monkeypatch):
    """The scope and BM25 run beside the encoding, not again after it; a question read off a
    document's structure (its byline) is not encoded at all; a comparison is encoded once and
    searched once per place."""
    from assistant.index.keyword_index import KeywordIndex
    from assistant.retrieval.hybrid_retriever import HybridRetriever

    fake_service.ingest_folder(corpus_copy)
    calls: list[str] = []
    encode, search = HybridRetriever.query_vector, KeywordIndex.search
    monkeypatch.setattr(
        HybridRetriever,
        "query_vector",
        lambda self, q, beside=None: calls.append("encode") or encode(self, q, beside),
    )
    monkeypatch.setattr(
        KeywordIndex, "search", lambda self, *a: calls.append("bm25") or search(self, *a)
    )
    expected = {
        "What did partners say about apprenticeships?": ["encode", "bm25"],
        "Who wrote the Kirklees scrutiny report?": [],
        "Compare Kirklees and Birmingham on skills": ["encode", "bm25", "bm25"],
    }
    for question, wanted in expected.items():
        calls.clear()
        answer = fake_service.ask(question)
        assert sorted(calls) == sorted(wanted), question
        assert answer.citations, question


def test_the_answer_reads_its_retrievals_generation_without_asking_the_registry_again(
    fake_service, corpus_copy, monkeypatch
):
    fake_service.ingest_folder(corpus_copy)
    store = fake_service.store
    result = fake_service.retriever.retrieve("apprenticeships")
    assert result.generation == store.registry.generation()
    reads: list[int] = []
    registry_type = type(store.registry)
    real = registry_type.generation
    monkeypatch.setattr(registry_type, "generation", lambda self: reads.append(1) or real(self))
    keywords = store.keyword_index(result.generation)
    assert store.document_metas(result.generation) and reads == []
    # a hint that is not what is loaded is read afresh (never trusted)
    assert store.keyword_index(result.generation - 1) is keywords and reads == [1]
