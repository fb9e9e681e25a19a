"""Answer and question-vector caches: repeated questions are served again, nothing stale."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.application.service import AssistantService
from assistant.core.filters import SearchFilters
from assistant.core.lru_cache import LRUCache
from assistant.core.models import Answer, Turn
from assistant.core.settings import Settings

QUESTION = "What did partners say about apprenticeships?"


def test_lru_cache_evicts_the_least_recently_used_entry():
    cache: LRUCache[int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.stats() == {"size": 2, "entries": 2, "hits": 3, "misses": 1}


def test_lru_cache_of_size_zero_stores_nothing():
    cache: LRUCache[int] = LRUCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None and len(cache) == 0 and not cache.enabled
    with pytest.raises(ValueError, match="cache size"):
        LRUCache(-1)


@pytest.fixture
def service(fake_service: AssistantService, corpus_copy: Path) -> AssistantService:
    fake_service.ingest_folder(corpus_copy)
    return fake_service


def test_a_repeated_question_is_served_from_the_cache(service: AssistantService):
    first = service.ask(QUESTION)
    again = service.ask(QUESTION)
    assert not first.cached and again.cached
    assert again.answer == first.answer and again.citations == first.citations
    assert set(again.timings) == {"cache_ms", "total_ms"}
    assert "embed_ms" in first.timings


def test_a_cached_answer_cannot_be_changed_by_its_caller(service: AssistantService):
    first = service.ask(QUESTION)
    first.answer = "tampered"
    first.citations.clear()
    again = service.ask(QUESTION)
    assert again.answer != "tampered" and again.citations


def test_streaming_a_cached_answer_yields_the_same_pieces(service: AssistantService):
    first = list(service.ask_stream(QUESTION))
    again = list(service.ask_stream(QUESTION))
    assert [p for p in first if isinstance(p, str)] == [p for p in again if isinstance(p, str)]
    assert isinstance(again[-1], Answer) and again[-1].cached


@pytest.mark.parametrize(
    "variation",
    [
        {"top_k": 2},
        {"filters": SearchFilters(doc_ids=["kirklees-learning-strategy-scrutiny"])},
        {"history": [Turn(role="user", content="What about schools?")]},
    ],
    ids=["top_k", "filters", "history"],
)
def test_anything_that_shapes_the_answer_is_part_of_the_key(
    service: AssistantService, variation: dict
):
    service.ask(QUESTION)
    assert not service.ask(QUESTION, **variation).cached
    assert service.ask(QUESTION, **variation).cached


def test_changing_the_index_invalidates_cached_answers(service: AssistantService):
    service.ask(QUESTION)
    report, doc_id = service.upload(
        b"Partners said the apprenticeships offer in Leeds had doubled.", "leeds.txt", ".txt"
    )
    assert doc_id is not None
    after_upload = service.ask(QUESTION)
    assert not after_upload.cached
    service.delete_document(doc_id)
    assert not service.ask(QUESTION).cached


def test_a_question_vector_is_computed_once(service: AssistantService, monkeypatch):
    encoded: list[str] = []
    embed_query = DeterministicFakeEmbedding.embed_query

    def counting_embed_query(self, text: str) -> list[float]:
        encoded.append(text)
        return embed_query(self, text)

    monkeypatch.setattr(DeterministicFakeEmbedding, "embed_query", counting_embed_query)
    cache = service.retriever.query_cache
    size = service.settings.query_cache_size
    assert cache.stats() == {"size": size, "entries": 0, "hits": 0, "misses": 0}
    service.search("apprenticeships offer")
    assert cache.stats() == {"size": size, "entries": 1, "hits": 0, "misses": 1}
    service.search("apprenticeships offer", k=3)  # another k, the same question text
    assert cache.stats() == {"size": size, "entries": 1, "hits": 1, "misses": 1}
    service.search("adult learners")
    assert cache.stats() == {"size": size, "entries": 2, "hits": 1, "misses": 2}
    assert encoded == ["apprenticeships offer", "adult learners"]


def test_caches_can_be_switched_off(fake_settings: Settings, corpus_copy: Path):
    settings = fake_settings.model_copy(update={"answer_cache_size": 0, "query_cache_size": 0})
    service = AssistantService(settings)
    try:
        service.ingest_folder(corpus_copy)
        service.ask(QUESTION)
        assert not service.ask(QUESTION).cached
        assert len(service.retriever.query_cache) == 0
    finally:
        service.close()


def test_llm_answers_are_not_cached(fake_settings: Settings, corpus_copy: Path):
    model = FakeListChatModel(responses=["Partners praised it [1].", "Partners doubted it [1]."])
    service = AssistantService(fake_settings, llm=model)
    try:
        service.ingest_folder(corpus_copy)
        first, again = service.ask(QUESTION), service.ask(QUESTION)
        assert not again.cached and first.answer != again.answer
    finally:
        service.close()


def test_an_empty_index_says_so_instead_of_blaming_the_documents(fake_service):
    answer = fake_service.ask("What is Recommendation 1 of the mid-term review about?")
    assert answer.abstained and not answer.citations
    assert answer.answer.startswith("No documents are indexed yet")


def test_an_answer_ranked_by_a_bm25_build_behind_the_registry_is_not_kept(
    service: AssistantService, monkeypatch
):
    """Between a writer's commit and its BM25 build, questions are ranked by the previous
    build (another worker may be mid-write): such an answer must not be cached under the new
    generation, or it would outlive the build and be served for that generation."""
    store = service.store
    current = store.keyword_index()
    behind = type(current)(current.ids, current.retriever, store.registry.generation() - 1)
    monkeypatch.setattr(store, "keyword_index", lambda generation=None: behind)
    assert not service.ask(QUESTION).cached
    assert not service.ask(QUESTION).cached  # computed again: nothing was kept
    monkeypatch.setattr(store, "keyword_index", lambda generation=None: current)
    assert not service.ask(QUESTION).cached
    assert service.ask(QUESTION).cached  # the build caught up: cached as before
