"""The application service: everything the CLI, the API and the UI do, with no web code.

One instance per process; it loads the embedding model once and is safe to share between
threads (the model call is serialised; SQLite and Chroma handle concurrent readers).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from assistant.answering.extractive_answerer import ExtractiveAnswerer
from assistant.answering.followup import rewrite_follow_up
from assistant.answering.llm_answerer import LLMAnswerer, make_chat_model
from assistant.application.feedback_store import FeedbackStore
from assistant.core.filters import SearchFilters
from assistant.core.lru_cache import LRUCache
from assistant.core.models import Answer, Chunk, DocumentMeta, Passage, Turn
from assistant.core.settings import Settings
from assistant.core.text_match import specific_terms
from assistant.index.index_store import IndexStore
from assistant.retrieval.hybrid_retriever import HybridRetriever
from assistant.retrieval.rerankers import make_reranker
from ingest.ingest_pipeline import IngestPipeline, IngestReport, ProgressCallback

EMPTY_INDEX_ANSWER = (
    "No documents are indexed yet, so there is nothing to answer from. Ingest a folder "
    "(`strategy-assistant ingest corpus`) or upload a document, then ask again."
)


class QuestionError(ValueError):
    """An unusable question (empty or too long); the message says what is wrong."""


class NotFoundError(LookupError):
    """An unknown document or passage id."""


class DocumentSummary(BaseModel):
    meta: DocumentMeta
    content_hash: str
    chunk_count: int
    ingested_at: str


class SectionOutline(BaseModel):
    section: str
    first_chunk_id: str
    chunk_count: int
    start: int


class DocumentDetail(DocumentSummary):
    outline: list[SectionOutline]
    char_count: int


class PassageView(BaseModel):
    chunk: Chunk
    document: DocumentMeta
    previous_id: str | None
    next_id: str | None
    context_before: str
    context_after: str


class AssistantService:
    """Ask, search, browse and ingest, over one index."""

    def __init__(
        self,
        settings: Settings,
        embeddings: Embeddings | None = None,
        store: IndexStore | None = None,
        llm=None,
    ) -> None:
        self.settings = settings
        if embeddings is None:
            from assistant.index.embeddings import make_embeddings

            embeddings = make_embeddings(
                settings.embedding_model,
                settings.embedding_device,
                settings.embedding_batch_size,
                settings.embedding_query_backend,
                settings.data_dir / "models",
            )
        self.embeddings = embeddings
        self.store = store or IndexStore.open(settings)
        self.retriever = HybridRetriever(
            store=self.store,
            embeddings=embeddings,
            reranker=make_reranker(settings.reranker),
            mode=settings.retrieval_mode,
            k=settings.top_k,
            fetch_k=settings.fetch_k,
            rrf_k=settings.rrf_k,
            mmr_lambda=settings.mmr_lambda,
            query_cache=LRUCache(settings.query_cache_size),
            sentence_scan_limit=settings.sentence_scan_limit,
            sentence_pool_k=settings.sentence_pool_k,
        )
        self.answer_cache: LRUCache[Answer] = LRUCache(settings.answer_cache_size)
        self.extractive = ExtractiveAnswerer(
            settings.abstain_threshold, settings.answer_max_sentences
        )
        self.pipeline = IngestPipeline(
            self.store, embeddings, settings.chunk_max_chars, settings.max_file_bytes
        )
        self.llm = self._make_llm(llm)
        self.feedback = FeedbackStore(settings.data_dir / "feedback.sqlite")

    def _make_llm(self, chat_model) -> LLMAnswerer | None:
        """An LLM answerer from an explicit chat model (tests) or from the settings."""
        chat_model = chat_model if chat_model is not None else make_chat_model(self.settings)
        if chat_model is None:
            return None
        name = f"llm:{self.settings.llm_model or type(chat_model).__name__}"
        return LLMAnswerer(
            chat_model, self.embeddings, self.extractive, self.settings.support_threshold, name
        )

    # -- questions ---------------------------------------------------------------------------
    def check_question(self, question: str) -> str:
        cleaned = (question or "").strip()
        if not cleaned:
            raise QuestionError("The question is empty: type a question about the documents.")
        if len(cleaned) > self.settings.max_question_chars:
            raise QuestionError(
                f"The question is {len(cleaned)} characters; the limit is "
                f"{self.settings.max_question_chars}. Shorten it to the part you need answered."
            )
        return cleaned

    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: SearchFilters | None = None,
        top_k: int | None = None,
    ) -> Answer:
        answer: Answer | None = None
        for item in self.ask_stream(question, history, filters, top_k):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def ask_stream(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: SearchFilters | None = None,
        top_k: int | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer text in pieces as it is produced, then the full ``Answer``.

        With an LLM the pieces are its tokens; the extractive answer is composed at once and is
        streamed paragraph by paragraph. The last item always is the complete, verified object.
        """
        started = time.perf_counter()
        question = self.check_question(question)
        history = history or []
        key = self._answer_key(question, history, filters, top_k)
        cached = self.answer_cache.get(key) if key is not None else None
        if cached is not None:
            answer = cached.model_copy(deep=True)
            yield from _paragraph_pieces(answer.answer)
            answer.cached = True
            elapsed = round((time.perf_counter() - started) * 1000, 2)
            answer.timings = {"cache_ms": elapsed, "total_ms": elapsed}
            yield answer
            return
        standalone = self.standalone_question(question, history)
        result = self.retriever.retrieve(standalone, filters, top_k)
        answer_started = time.perf_counter()
        answer = None
        for item in self.answer_items(question, standalone, result, history):
            if isinstance(item, Answer):
                answer = item
            else:
                yield item
        answer.question = question
        if standalone != question:
            answer.rewritten_question = standalone
        answer.timings = {
            **result.timings,
            "answer_ms": round((time.perf_counter() - answer_started) * 1000, 2),
            "total_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        if key is not None:
            self.answer_cache.put(key, answer.model_copy(deep=True))
        yield answer

    def _answer_key(
        self,
        question: str,
        history: list[Turn],
        filters: SearchFilters | None,
        top_k: int | None,
    ) -> tuple | None:
        """What an extractive answer depends on; None when answers are not cached (LLM
        answers vary between calls and may fall back on a transient error, so only the
        deterministic extractive answerer is cached)."""
        if self.llm is not None or not self.answer_cache.enabled:
            return None
        return (
            self.store.registry.generation(),
            question,
            tuple((turn.role, turn.content) for turn in history),
            None if filters is None or filters.is_empty() else filters.model_dump_json(),
            top_k or self.settings.top_k,
        )

    def answer_items(
        self, question: str, standalone: str, result, history: list[Turn]
    ) -> Iterator[str | Answer]:
        """Answer from retrieved passages: text pieces, then the ``Answer`` (always last)."""
        if not self.store.document_metas():  # not "the documents don't say": there are none
            answer = Answer(
                question=question, answer=EMPTY_INDEX_ANSWER, abstained=True, citations=[]
            )
            yield answer.answer
            yield answer
            return
        missing = self.store.keyword_index().missing_terms(specific_terms(standalone))
        if missing:  # a name or number the documents never mention: nothing to answer from
            answer = self.extractive.abstain(question, result, missing_terms=missing)
            yield answer.answer
            yield answer
        elif self.llm is not None:
            yield from self.llm.stream(question, result, history)
        else:
            answer = self.extractive.answer(question, result)
            yield from _paragraph_pieces(answer.answer)
            yield answer

    def standalone_question(self, question: str, history: list[Turn]) -> str:
        """Resolve a follow-up against the conversation: by the LLM if configured, else rules."""
        if not history:
            return question
        if self.llm is not None:
            try:
                return self.llm.rewrite(question, history) or question
            except Exception:  # the deterministic rewrite is always available
                pass
        return rewrite_follow_up(question, history)

    def compare(
        self, question: str, doc_ids: list[str], top_k: int | None = None
    ) -> dict[str, Answer]:
        """The same question asked of each document separately (answers side by side)."""
        question = self.check_question(question)
        metas = self.store.document_metas()
        unknown = [d for d in doc_ids if d not in metas]
        if unknown:
            raise NotFoundError(f"Unknown document id(s): {', '.join(unknown)}.")
        return {d: self.ask(question, None, SearchFilters(doc_ids=[d]), top_k) for d in doc_ids}

    def search(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[Passage]:
        query = self.check_question(query)
        return self.retriever.retrieve(query, filters, k).passages

    # -- browsing ----------------------------------------------------------------------------
    def documents(self) -> list[DocumentSummary]:
        return [
            DocumentSummary(
                meta=d.meta,
                content_hash=d.content_hash,
                chunk_count=d.chunk_count,
                ingested_at=d.ingested_at,
            )
            for d in self.store.registry.documents()
        ]

    def document(self, doc_id: str) -> DocumentDetail:
        stored = self.store.registry.document(doc_id)
        if stored is None:
            raise NotFoundError(
                f"No document with id {doc_id!r}; list ids with GET /api/v1/documents."
            )
        outline: list[SectionOutline] = []
        for chunk in self.store.registry.chunks_of(doc_id):
            section = chunk.section or "(untitled)"
            if outline and outline[-1].section == section:
                outline[-1].chunk_count += 1
            else:
                outline.append(
                    SectionOutline(
                        section=section,
                        first_chunk_id=chunk.chunk_id,
                        chunk_count=1,
                        start=chunk.start,
                    )
                )
        return DocumentDetail(
            meta=stored.meta,
            content_hash=stored.content_hash,
            chunk_count=stored.chunk_count,
            ingested_at=stored.ingested_at,
            outline=outline,
            char_count=len(stored.text),
        )

    def document_text(self, doc_id: str) -> str:
        stored = self.store.registry.document(doc_id)
        if stored is None:
            raise NotFoundError(f"No document with id {doc_id!r}.")
        return stored.text

    def passage(self, chunk_id: str, context_chars: int = 600) -> PassageView:
        chunk = self.store.registry.chunk(chunk_id)
        if chunk is None:
            raise NotFoundError(f"No passage with id {chunk_id!r}; ids come from citations.")
        stored = self.store.registry.document(chunk.doc_id)
        siblings = self.store.registry.chunks_of(chunk.doc_id)
        index = next(i for i, c in enumerate(siblings) if c.chunk_id == chunk_id)
        text = stored.text
        return PassageView(
            chunk=chunk,
            document=stored.meta,
            previous_id=siblings[index - 1].chunk_id if index > 0 else None,
            next_id=siblings[index + 1].chunk_id if index + 1 < len(siblings) else None,
            context_before=text[max(0, chunk.start - context_chars) : chunk.start],
            context_after=text[chunk.end : chunk.end + context_chars],
        )

    def recommendations(self) -> list[Passage]:
        """Every recommendation passage across the documents, in document order."""
        metas = self.store.document_metas()
        found: list[Passage] = []
        for doc_id, meta in sorted(metas.items()):
            for chunk in self.store.registry.chunks_of(doc_id):
                if chunk.kind == "recommendation":
                    found.append(Passage(chunk=chunk, document=meta))
        return found

    # -- ingest ------------------------------------------------------------------------------
    def ingest_folder(self, folder: Path, progress: ProgressCallback | None = None) -> IngestReport:
        return self.pipeline.ingest_folder(folder, progress)

    def upload(self, data: bytes, file_name: str, suffix: str) -> tuple[IngestReport, str | None]:
        return self.pipeline.ingest_bytes(data, file_name, suffix)

    def delete_document(self, doc_id: str) -> None:
        if not self.pipeline.delete(doc_id):
            raise NotFoundError(f"No document with id {doc_id!r}.")

    def health(self) -> dict:
        documents, chunks = self.store.registry.counts()
        return {
            "status": "ok",
            "documents": documents,
            "chunks": chunks,
            "vectors": self.store.vectors.count(),
            "embedding_model": getattr(self.embeddings, "name", type(self.embeddings).__name__),
            "query_encoder": getattr(self.embeddings, "query_backend", "fake"),
            "llm": self.settings.llm,
            "answer_cache": self.answer_cache.stats(),
        }

    def close(self) -> None:
        self.feedback.close()
        self.store.close()


def _paragraph_pieces(text: str) -> Iterator[str]:
    """An extractive answer streamed paragraph by paragraph (joined, they are ``text``)."""
    paragraphs = text.split("\n\n")
    for index, paragraph in enumerate(paragraphs):
        yield paragraph + ("\n\n" if index + 1 < len(paragraphs) else "")
