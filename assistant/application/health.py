"""The service's health: what ``GET /health`` reports and the UI's header shows."""

from __future__ import annotations

import os

from langchain_core.embeddings import Embeddings

from assistant.core.lru_cache import LRUCache
from assistant.core.views import CacheStats, Health
from assistant.index.index_store import IndexStore


def health_of(store: IndexStore, embeddings: Embeddings, llm: str, cache: LRUCache) -> Health:
    """The service's state; raises ``IndexUnavailable`` within about two seconds when the
    Chroma server is down or frozen (the embedded store is always there)."""
    store.vectors.check_available()
    documents, chunks = store.registry.counts()
    return Health(
        status="ok",
        documents=documents,
        chunks=chunks,
        vectors=store.vectors.count(),
        embedding_model=getattr(embeddings, "name", type(embeddings).__name__),
        query_encoder=getattr(embeddings, "query_backend", "fake"),
        llm=llm,
        answer_cache=CacheStats(**cache.stats()),
        generation=store.registry.generation(),
        process=os.getpid(),
    )
