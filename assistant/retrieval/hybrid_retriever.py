"""The hybrid retriever: dense (Chroma) + BM25, fused by RRF, reranked, diversified.

It is a LangChain ``BaseRetriever`` so it composes with ``langchain_core`` runnables; the typed
``retrieve`` method is what the answerers use, and ``invoke`` returns LangChain ``Document``s
whose metadata carries the same fields.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from assistant.core.chunk_ids import doc_id_of
from assistant.core.filters import SearchFilters
from assistant.core.models import Chunk, Passage, RetrievalResult
from assistant.index.embeddings import encode_query
from assistant.index.index_store import IndexStore
from assistant.index.sentence_index import SentenceIndex
from assistant.retrieval.diversity import mmr_select
from assistant.retrieval.fusion import reciprocal_rank_fusion
from assistant.retrieval.named_recommendations import (
    NAMED_RECOMMENDATION_WEIGHT,
    named_recommendations,
    pin_named,
)
from assistant.retrieval.passage_cache import PassageCache
from assistant.retrieval.side_task import SIDE_TASKS, SideTask

# A candidate not parsed yet: only its id and document (any other field raises AttributeError).
# Copied per candidate (~2 us; ``model_construct`` itself takes ~250 us).
_UNPARSED = Chunk.model_construct(chunk_id="", doc_id="")


@dataclass(frozen=True)
class KeywordSearch:
    """What a question's retrieval needs before its vector: the documents its filters allow
    and its BM25 hits (None when the mode uses no BM25 or nothing is allowed)."""

    question: str
    fetch_k: int
    allowed: set[str] | None
    hits: list[tuple[str, float]] | None


class HybridRetriever(BaseRetriever):
    """Retrieve passages for a question from the index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # Every number comes from Settings (assistant/application/components.py builds this).
    store: IndexStore
    embeddings: Any
    reranker: Any
    mode: Literal["hybrid", "dense", "bm25"]
    k: int
    fetch_k: int
    rerank_k: int
    rrf_k: int
    bm25_weight: float
    sentence_weight: float
    mmr_lambda: float
    use_mmr: bool
    query_cache: Any = None  # an LRUCache of question -> vector, or None
    # Scoring every sentence vector is exact but linear in the index (44k sentences: 68 MB
    # read, ~9 ms per question). Above this many, only the sentences of the
    # ``sentence_pool_k`` nearest passages (Chroma's HNSW) are scored.
    sentence_scan_limit: int
    sentence_pool_k: int
    # Up to this many passages the dense passage list is an exact scan of the passage vectors
    # the sentence index holds (cheaper than Chroma's HNSW query there); above it, Chroma's.
    passage_scan_limit: int
    # fused candidates parsed out of the registry once per index generation
    _passages: PassageCache = PrivateAttr(default_factory=PassageCache)

    def retrieve(
        self,
        question: str,
        filters: SearchFilters | None = None,
        k: int | None = None,
        *,
        depth: int | None = None,
        diversify: bool | None = None,
        query_vector: np.ndarray | None = None,
        keyword: KeywordSearch | None = None,
    ) -> RetrievalResult:
        """Passages for ``question``. ``depth`` widens every candidate list (benchmarks rank
        100+ passages); ``diversify`` overrides the MMR setting. Neither mutates the retriever,
        so one instance serves concurrent requests. ``query_vector``: ``question``'s vector
        when the caller already has it (a comparison retrieves once per place, for one
        question); ``keyword``: ``prepare``'s result for the same question, filters and depth,
        when the caller ran it beside the question's encoding itself."""
        k = k or self.k
        fetch_k = max(self.fetch_k, depth or 0)
        rerank_k = max(self.rerank_k, depth or 0)
        diversify = self.use_mmr if diversify is None else diversify
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        registry = self.store.registry
        if keyword is not None and (keyword.question, keyword.fetch_k) != (question, fetch_k):
            raise ValueError("keyword was prepared for another question or depth")
        allowed = self._allowed_documents(filters) if keyword is None else keyword.allowed
        keyword_task = None
        if keyword is None and self._uses_bm25(allowed):
            # BM25 needs no vector: the side thread runs it while ONNX encodes (GIL released)
            keyword_task = SIDE_TASKS.start(lambda: self._bm25(question, fetch_k, allowed))
        if query_vector is None:
            query_vector = self.query_vector(question, keyword_task)
        elif keyword_task is not None:
            keyword_task.release()
        timings["embed_ms"] = _ms_since(clock)

        clock = time.perf_counter()
        rankings: list[list[str]] = []
        weights: list[float] = []
        dense_scores: dict[str, float] = {}
        sentence_index = None  # loaded for the dense lists; it also serves the candidates' rows
        # read once for the index parts below (each read is an SQL query)
        generation = registry.generation()
        if self.mode in ("hybrid", "dense") and allowed != set():
            sentence_index = self.store.sentence_index(generation)
            dense, sentences = self.dense_rankings(query_vector, fetch_k, allowed, sentence_index)
            dense_scores = dict(dense)
            rankings.append([chunk_id for chunk_id, _ in dense])
            rankings.append([chunk_id for chunk_id, _ in sentences])
            weights += [1.0, self.sentence_weight]
        timings["dense_ms"] = _ms_since(clock)
        clock = time.perf_counter()
        keyword_scores: dict[str, float] = {}
        # bm25_ms: what is left of BM25 once the vector is used
        hits = keyword.hits if keyword is not None else None
        if keyword_task is not None:
            hits = keyword_task.result()
        if hits is not None:
            keyword_scores = dict(hits)
            rankings.append([chunk_id for chunk_id, _ in hits])
            weights.append(self.bm25_weight if self.mode == "hybrid" else 1.0)
        timings["bm25_ms"] = _ms_since(clock)
        named: list[str] = []
        if self.mode == "hybrid":
            named = named_recommendations(question, allowed, self.store)
            if named:
                rankings.append(named)
                weights.append(NAMED_RECOMMENDATION_WEIGHT)

        clock = time.perf_counter()
        fused = reciprocal_rank_fusion(rankings, k=self.rrf_k, weights=weights)[:rerank_k]
        # A reranker that reads no text ranks chunks known by id only: only the passages
        # returned are parsed (~13 us each; 30 candidates, 5 returned).
        parse = getattr(self.reranker, "needs_text", True)
        fused_ids = [chunk_id for chunk_id, _ in fused]
        loaded = self._passages.load(registry, fused_ids, sentence_index, parse, generation)
        documents = self.store.document_metas(generation)
        candidates: list[Passage] = []
        for chunk_id, fused_score in fused:
            row = loaded.get(chunk_id)  # absent: not committed (interrupted) or replaced
            doc_id = doc_id_of(chunk_id)  # what row[0].doc_id is: ids start with it
            if row is None or doc_id not in documents:
                continue
            chunk, passage_vector, _ = row
            if chunk is None:  # parsed below if returned; nothing reads more of it until then
                chunk = _UNPARSED.model_copy(update={"chunk_id": chunk_id, "doc_id": doc_id})
            candidates.append(
                Passage(
                    chunk=chunk,
                    document=documents[doc_id],
                    score=fused_score,
                    scores={
                        "rrf": fused_score,
                        "passage_cosine": dense_scores.get(
                            chunk_id, float(passage_vector @ query_vector)
                        ),
                        "bm25": keyword_scores.get(chunk_id, 0.0),
                    },
                )
            )
        sentence_vectors = {cid: row[2] for cid, row in loaded.items()}
        timings["load_ms"] = _ms_since(clock)
        clock = time.perf_counter()
        ranked = self.reranker.rerank(question, query_vector, candidates, sentence_vectors)
        timings["rerank_ms"] = _ms_since(clock)
        if diversify:
            passage_vectors = {cid: row[1] for cid, row in loaded.items()}
            ranked = mmr_select(ranked, passage_vectors, k, self.mmr_lambda)
        ranked, named_ids = pin_named(ranked, candidates, named)
        ranked = ranked[:k]
        for passage in ranked:
            row = loaded[passage.chunk.chunk_id]
            if row[0] is None:
                passage.chunk = self._passages.chunk(
                    registry, passage.chunk.chunk_id, row, sentence_index
                )
        return RetrievalResult(
            ranked, query_vector, sentence_vectors, timings, named_ids, generation
        )

    def dense_rankings(
        self,
        query_vector: np.ndarray,
        fetch_k: int,
        allowed: set[str] | None,
        sentence_index: SentenceIndex | None = None,
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(the nearest passages, passages by their best sentence), ``fetch_k`` each.

        Up to ``sentence_scan_limit`` sentence vectors every one is scored; above it only the
        sentences of the ``max(fetch_k, sentence_pool_k)`` nearest passages (one search,
        whose head is the passage list). The nearest passages come from scanning every
        passage vector up to ``passage_scan_limit`` passages, else from Chroma's index.
        ``sentence_index``: the store's, when the caller already has it."""
        if sentence_index is None:
            sentence_index = self.store.sentence_index()
        scan = 0 < sentence_index.passage_count <= self.passage_scan_limit

        def nearest(count: int) -> list[tuple[str, float]]:
            if scan:
                return sentence_index.nearest_passages(query_vector, count, allowed)
            doc_list = sorted(allowed) if allowed is not None else None
            return self.store.vectors.query(query_vector, count, doc_list)

        if len(sentence_index) <= self.sentence_scan_limit:
            return nearest(fetch_k), sentence_index.search(query_vector, fetch_k, allowed)
        pool = nearest(max(fetch_k, self.sentence_pool_k))
        within = [chunk_id for chunk_id, _ in pool]
        return pool[:fetch_k], sentence_index.search(query_vector, fetch_k, allowed, within)

    def prepare(
        self, question: str, filters: SearchFilters | None = None, depth: int | None = None
    ) -> KeywordSearch:
        """The part of ``retrieve`` that needs no vector (run beside the question's encoding,
        whose ONNX call releases the GIL)."""
        fetch_k = max(self.fetch_k, depth or 0)
        allowed = self._allowed_documents(filters)
        return KeywordSearch(question, fetch_k, allowed, self._bm25(question, fetch_k, allowed))

    def _bm25(
        self, question: str, fetch_k: int, allowed: set[str] | None
    ) -> list[tuple[str, float]] | None:
        if not self._uses_bm25(allowed):
            return None
        return self.store.keyword_index().search(question, fetch_k, allowed)

    def _uses_bm25(self, allowed: set[str] | None) -> bool:
        return self.mode in ("hybrid", "bm25") and allowed != set()

    def query_vector(self, question: str, beside: SideTask | None = None) -> np.ndarray:
        """The question's vector, from the cache when the same text was asked before.
        ``beside``: a side task to release once the encode no longer needs the GIL."""
        cache = self.query_cache
        vector = cache.get(question) if cache is not None else None
        release = beside.release if beside is not None else None
        try:
            if vector is None:
                vector = encode_query(self.embeddings, question, release)
                vector.flags.writeable = False  # shared between requests through the cache
                if cache is not None:
                    cache.put(question, vector)
        finally:
            if release is not None:  # a cached vector, or a failed encode
                release()
        return vector

    def rank_all(self, question: str, depth: int) -> list[str]:
        """Chunk ids in final order to ``depth`` without diversity (for retrieval benchmarks)."""
        result = self.retrieve(question, None, depth, depth=depth, diversify=False)
        return [p.chunk.chunk_id for p in result.passages]

    def _allowed_documents(self, filters: SearchFilters | None) -> set[str] | None:
        if filters is None or filters.is_empty():
            return None
        metas = self.store.document_metas().values()
        return {meta.doc_id for meta in metas if filters.accepts(meta)}

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        filters = kwargs.get("filters")
        result = self.retrieve(query, filters, kwargs.get("k"))
        return [passage_to_document(p) for p in result.passages]


def passage_to_document(passage: Passage) -> Document:
    chunk = passage.chunk
    return Document(
        page_content=chunk.text,
        id=chunk.chunk_id,
        metadata={
            "chunk_id": chunk.chunk_id,
            "doc_id": chunk.doc_id,
            "title": passage.document.title,
            "section": chunk.section,
            "page": chunk.page,
            "start": chunk.start,
            "end": chunk.end,
            "kind": chunk.kind,
            "speaker": chunk.speaker,
            "score": passage.score,
        },
    )


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
