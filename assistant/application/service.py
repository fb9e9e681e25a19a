"""The application service: everything the CLI, the API and the UI do, with no web code.

One instance per process; it loads the embedding model once and is safe to share between
threads (the model call is serialised; SQLite and Chroma handle concurrent readers). It is a
thin façade over the parts that do the work: ``AskService`` (questions), ``Library``
(browsing), ``DocumentService`` (ingest, uploads, deletes), built from Settings by
``Components``. Background uploads (``UploadJobs``) start with the first call that needs them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.answering.extractive_answerer import ExtractiveAnswerer
from assistant.answering.llm_answerer import LLMAnswerer
from assistant.application.ask_service import EMPTY_INDEX_ANSWER, AskService
from assistant.application.components import Components
from assistant.application.documents import CLI, Caller, DocumentService, UploadOutcome
from assistant.application.health import health_of
from assistant.application.job_store import Job, JobState
from assistant.application.jobs import UploadJobs
from assistant.application.library import Library
from assistant.application.metadata import MetadataService
from assistant.core.errors import NotFoundError, QuestionError
from assistant.core.filters import SearchFilters
from assistant.core.lru_cache import LRUCache
from assistant.core.models import Answer, Passage, RetrievalResult, Turn
from assistant.core.settings import Settings
from assistant.core.views import DocumentDetail, DocumentSummary, Health, PassageView
from assistant.index.index_store import IndexStore
from assistant.retrieval.hybrid_retriever import HybridRetriever
from ingest.documents import IngestReport
from ingest.ingest_pipeline import ProgressCallback

__all__ = [
    "EMPTY_INDEX_ANSWER",
    "AssistantService",
    "DocumentDetail",
    "DocumentSummary",
    "NotFoundError",
    "PassageView",
    "QuestionError",
]


class AssistantService:
    """Ask, search, browse and ingest, over one index."""

    def __init__(
        self,
        settings: Settings,
        embeddings: Embeddings | None = None,
        store: IndexStore | None = None,
        llm=None,
    ) -> None:
        parts = Components.build(settings, embeddings, store, llm)
        self.settings = settings
        self.embeddings = parts.embeddings
        self.store = parts.store
        self.pipeline = parts.pipeline
        self.feedback = parts.feedback
        self.asking = AskService(settings, self.store, parts.retriever, parts.extractive, parts.llm)
        self.library = Library(self.store)
        self.metadata = MetadataService(self.store)
        self.writes = DocumentService(
            self.store, self.pipeline, settings.max_upload_bytes, parts.feedback.audit
        )
        self._jobs: UploadJobs | None = None
        self._jobs_lock = threading.Lock()

    # The answering parts live in ``AskService``; these let tests and the evaluation swap one
    # (e.g. a retriever that records its results) without reaching inside.
    @property
    def retriever(self) -> HybridRetriever:
        return self.asking.retriever

    @retriever.setter
    def retriever(self, value: HybridRetriever) -> None:
        self.asking.retriever = value

    @property
    def extractive(self) -> ExtractiveAnswerer:
        return self.asking.extractive

    @extractive.setter
    def extractive(self, value: ExtractiveAnswerer) -> None:
        self.asking.extractive = value

    @property
    def llm(self) -> LLMAnswerer | None:
        return self.asking.llm

    @llm.setter
    def llm(self, value: LLMAnswerer | None) -> None:
        self.asking.llm = value

    @property
    def answer_cache(self) -> LRUCache[Answer]:
        return self.asking.answer_cache

    # -- questions ---------------------------------------------------------------------------
    def check_question(self, question: str) -> str:
        return self.asking.check_question(question)

    def check_request(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: SearchFilters | None = None,
    ) -> str:
        return self.asking.check_request(question, history, filters)

    def ask(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: SearchFilters | None = None,
        top_k: int | None = None,
    ) -> Answer:
        return self.asking.ask(question, history, filters, top_k)

    def ask_stream(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: SearchFilters | None = None,
        top_k: int | None = None,
    ) -> Iterator[str | Answer]:
        return self.asking.ask_stream(question, history, filters, top_k)

    def answer_items(
        self, question: str, standalone: str, result: RetrievalResult, history: list[Turn]
    ) -> Iterator[str | Answer]:
        return self.asking.answer_items(question, standalone, result, history)

    def standalone_question(self, question: str, history: list[Turn]) -> str:
        return self.asking.standalone_question(question, history)

    def compare(
        self, question: str, doc_ids: list[str], top_k: int | None = None
    ) -> dict[str, Answer]:
        return self.asking.compare(question, doc_ids, top_k)

    def search(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[Passage]:
        return self.asking.search(query, k, filters)

    # -- browsing ----------------------------------------------------------------------------
    def documents(self) -> list[DocumentSummary]:
        return self.library.documents()

    def document(self, doc_id: str) -> DocumentDetail:
        return self.library.document(doc_id)

    def document_text(self, doc_id: str) -> str:
        return self.library.document_text(doc_id)

    def passage(self, chunk_id: str, context_chars: int = 600) -> PassageView:
        return self.library.passage(chunk_id, context_chars)

    def recommendations(self) -> list[Passage]:
        return self.library.recommendations()

    # -- documents ---------------------------------------------------------------------------
    def ingest_folder(self, folder: Path, progress: ProgressCallback | None = None) -> IngestReport:
        return self.writes.ingest_folder(folder, progress)

    def upload(self, data: bytes, file_name: str, suffix: str) -> tuple[IngestReport, str | None]:
        return self.writes.upload(data, file_name, suffix)

    def add_upload(
        self,
        data: bytes,
        raw_name: str | None,
        *,
        replace: bool = False,
        metadata: dict | str | None = None,
        caller: Caller = CLI,
    ) -> UploadOutcome:
        return self.writes.add_upload(
            data, raw_name, replace=replace, metadata=metadata, caller=caller
        )

    @property
    def jobs(self) -> UploadJobs:
        """The upload jobs (built on first use: a CLI that asks never opens the job store)."""
        with self._jobs_lock:
            if self._jobs is None:
                folder = self.settings.data_dir / "jobs"
                self._jobs = UploadJobs(self.writes, folder, self.settings.max_queued_uploads)
            return self._jobs

    def start_upload(
        self,
        data: bytes,
        raw_name: str | None,
        *,
        replace: bool = False,
        metadata: dict[str, Any] | str | None = None,
        caller: Caller = CLI,
    ) -> Job:
        """``add_upload`` as a background job: refused now, or queued and returned at once."""
        return self.jobs.submit(data, raw_name, replace=replace, metadata=metadata, caller=caller)

    def job(self, job_id: str) -> Job:
        return self.jobs.get(job_id)

    def recent_jobs(self, limit: int = 20, state: JobState | None = None) -> list[Job]:
        return self.jobs.recent(limit, state)

    def cancel_job(self, job_id: str) -> Job:
        return self.jobs.cancel(job_id)

    def delete_document(self, doc_id: str, caller: Caller = CLI) -> None:
        self.writes.delete(doc_id, caller)

    def edit_document(self, doc_id: str, changes: dict[str, str | None]) -> DocumentSummary:
        """Change a document's metadata (None undoes an edit); kept across re-ingests."""
        return self.metadata.edit(doc_id, changes)

    def health(self) -> Health:
        return health_of(self.store, self.embeddings, self.settings.llm, self.answer_cache)

    def close(self) -> None:
        if self._jobs is not None:
            self._jobs.close()
        self.feedback.close()
        self.store.close()
