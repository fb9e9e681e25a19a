"""Build every component from Settings, in one place, so the app, tests and benchmarks run
with the same numbers (a default lives in Settings only)."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from assistant.answering.answerability import MODEL_FILE, AnswerabilityModel
from assistant.answering.extractive_answerer import ExtractiveAnswerer
from assistant.answering.llm_answerer import LLMAnswerer, make_chat_model
from assistant.application.feedback_store import FeedbackStore
from assistant.application.stores import open_feedback_store
from assistant.core.lru_cache import LRUCache
from assistant.core.profile import profile_for
from assistant.core.settings import Settings
from assistant.index.index_store import IndexStore
from assistant.retrieval.hybrid_retriever import HybridRetriever
from assistant.retrieval.rerankers import make_reranker
from ingest.archives import ArchiveLimits
from ingest.attribution import Attribution
from ingest.ingest_pipeline import IngestPipeline


def make_embeddings_from(settings: Settings) -> Embeddings:
    from assistant.index.embeddings import make_embeddings

    return make_embeddings(
        settings.embedding_model,
        settings.embedding_device,
        settings.embedding_batch_size,
        settings.embedding_query_backend,
        settings.data_dir / "models",
        settings.embedding_ingest_backend,
    )


def make_retriever(
    settings: Settings, store: IndexStore, embeddings: Embeddings
) -> HybridRetriever:
    return HybridRetriever(
        store=store,
        embeddings=embeddings,
        reranker=make_reranker(settings.reranker, settings.rerank_weights),
        mode=settings.retrieval_mode,
        k=settings.top_k,
        fetch_k=settings.fetch_k,
        rerank_k=settings.rerank_k,
        rrf_k=settings.rrf_k,
        bm25_weight=settings.bm25_weight,
        sentence_weight=settings.sentence_weight,
        mmr_lambda=settings.mmr_lambda,
        use_mmr=settings.use_mmr,
        query_cache=LRUCache(settings.query_cache_size),
        sentence_scan_limit=settings.sentence_scan_limit,
        sentence_pool_k=settings.sentence_pool_k,
        passage_scan_limit=settings.passage_scan_limit,
    )


def make_pipeline(settings: Settings, store: IndexStore, embeddings: Embeddings) -> IngestPipeline:
    return IngestPipeline(
        store,
        embeddings,
        settings.chunk_max_chars,
        settings.max_file_bytes,
        ArchiveLimits.from_settings(settings),
        Attribution.from_profile(profile_for(settings.corpus_dir, settings.corpus_profile)),
    )


def make_llm_answerer(
    settings: Settings, embeddings: Embeddings, extractive: ExtractiveAnswerer, chat_model=None
) -> LLMAnswerer | None:
    """An LLM answerer from an explicit chat model (tests) or from the settings; None when
    no LLM is configured (the extractive answerer is the default)."""
    chat_model = chat_model if chat_model is not None else make_chat_model(settings)
    if chat_model is None:
        return None
    name = f"llm:{settings.llm_model or type(chat_model).__name__}"
    return LLMAnswerer(chat_model, embeddings, extractive, settings.support_threshold, name)


@dataclass
class Components:
    """Everything one service instance runs on."""

    settings: Settings
    embeddings: Embeddings
    store: IndexStore
    retriever: HybridRetriever
    extractive: ExtractiveAnswerer
    llm: LLMAnswerer | None
    pipeline: IngestPipeline
    feedback: FeedbackStore  # or PgFeedbackStore, the same interface (open_feedback_store)

    @classmethod
    def build(
        cls,
        settings: Settings,
        embeddings: Embeddings | None = None,
        store: IndexStore | None = None,
        chat_model=None,
    ) -> Components:
        embeddings = embeddings if embeddings is not None else make_embeddings_from(settings)
        store = store or IndexStore.open(settings)
        extractive = ExtractiveAnswerer(
            settings.abstain_threshold,
            settings.answer_max_sentences,
            AnswerabilityModel.load(settings.answerability_model or MODEL_FILE),
            profile_for(settings.corpus_dir, settings.corpus_profile),
            settings.judge_k,
        )
        return cls(
            settings=settings,
            embeddings=embeddings,
            store=store,
            retriever=make_retriever(settings, store, embeddings),
            extractive=extractive,
            llm=make_llm_answerer(settings, embeddings, extractive, chat_model),
            pipeline=make_pipeline(settings, store, embeddings),
            feedback=open_feedback_store(settings),
        )
