"""Asking: check the question, resolve follow-ups, retrieve, answer, cache.

``ask_stream`` is the pipeline (rewrite → retrieve → answer), run step by step so the
extractive answer streams paragraph by paragraph and an LLM's tokens as they come; ``ask``
returns its final, verified ``Answer``. The retriever is a LangChain ``BaseRetriever`` and the
LLM answerer a ``langchain_core`` prompt | model chain, so each part composes with LangChain.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from assistant.answering.extractive_answerer import ExtractiveAnswerer
from assistant.answering.followup import rewrite_follow_up
from assistant.answering.front_matter import asks_authorship
from assistant.answering.llm_answerer import LLMAnswerer
from assistant.answering.question_type import Shape, shape
from assistant.answering.shaping import merge_answers
from assistant.answering.unmentioned_terms import unmentioned_terms
from assistant.application.document_order_answers import DocumentOrderAnswers
from assistant.application.question_checks import checked_question, checked_request
from assistant.application.question_scope import QuestionScope, unheld_places
from assistant.core.errors import NotFoundError
from assistant.core.filters import SearchFilters
from assistant.core.lru_cache import LRUCache
from assistant.core.models import Answer, Passage, RetrievalResult, Turn
from assistant.core.settings import Settings
from assistant.core.text_match import content_words
from assistant.index.index_store import IndexStore
from assistant.retrieval.hybrid_retriever import HybridRetriever, KeywordSearch
from assistant.retrieval.place_scope import scope_of
from assistant.retrieval.side_task import SIDE_TASKS

COMPARE_SENTENCES = 2  # a comparison gives each place a short paragraph
EMPTY_INDEX_ANSWER = (
    "No documents are indexed yet, so there is nothing to answer from. Ingest a folder "
    "(`strategy-assistant ingest corpus`) or upload a document, then ask again."
)


class AskService:
    """Questions in, cited answers out, over one index."""

    def __init__(
        self,
        settings: Settings,
        store: IndexStore,
        retriever: HybridRetriever,
        extractive: ExtractiveAnswerer,
        llm: LLMAnswerer | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.retriever = retriever
        self.extractive = extractive
        self.llm = llm
        self.structure = DocumentOrderAnswers(store, extractive)
        self.answer_cache: LRUCache[Answer] = LRUCache(settings.answer_cache_size)

    def check_question(self, question: str) -> str:
        return checked_question(question, self.settings.max_question_chars)

    def check_request(
        self,
        question: str,
        history: list[Turn] | None = None,
        filters: SearchFilters | None = None,
    ) -> str:
        """The cleaned question, or the error saying what is wrong with the request."""
        limit = self.settings.max_question_chars
        return checked_request(question, history, filters, limit, self.store.document_metas)

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
        question = self.check_request(question, history, filters)
        history = history or []
        key = self._answer_key(question, history, filters, top_k)
        cached = self.answer_cache.get(key) if key is not None else None
        if cached is not None:
            answer = cached.model_copy(deep=True)
            yield from paragraph_pieces(answer.answer)
            answer.cached = True
            elapsed = round((time.perf_counter() - started) * 1000, 2)
            answer.timings = {"cache_ms": elapsed, "total_ms": elapsed}
            yield answer
            return
        if key is not None and self.store.keyword_index().generation < key[0]:
            # A writer has committed but not yet published its BM25 build: this answer is
            # ranked by the previous one, so it must not be kept under the new generation.
            key = None
        standalone = self.standalone_question(question, history)
        vector, keyword, embed_ms = None, None, None
        if self._reads_structure(standalone):  # answered without a vector, most likely
            scope = self._scope(standalone, filters)
        else:
            # The scope and the BM25 search need no vector: the helper thread runs them while
            # ONNX Runtime encodes the question (it releases the GIL).
            encode_started = time.perf_counter()
            plan = SIDE_TASKS.start(lambda: self._plan(standalone, filters))
            vector = self.retriever.query_vector(standalone, beside=plan)
            scope, keyword = plan.result()
            embed_ms = round((time.perf_counter() - encode_started) * 1000, 2)
        shaped = self._shaped_answer(question, standalone, scope, filters, top_k, vector)
        if shaped is not None:  # a comparison, or a document's recommendations
            result = None
            answer_started = time.perf_counter()
            answer = shaped
            yield from paragraph_pieces(answer.answer)
        else:
            result = self.retriever.retrieve(
                standalone, scope.narrow(filters), top_k, query_vector=vector, keyword=keyword
            )
            if embed_ms is not None:  # encoded (with the scope and BM25 beside it) above
                result.timings["embed_ms"] = embed_ms
            answer_started = time.perf_counter()
            answer = None
            for item in self.answer_items(question, standalone, result, history, scope):
                if isinstance(item, Answer):
                    answer = item
                else:
                    yield item
        answer.question = question
        if standalone != question:
            answer.rewritten_question = standalone
        answer.timings = {
            **(result.timings if result is not None else {}),
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

    def _scope(self, standalone: str, filters: SearchFilters | None) -> QuestionScope:
        """The documents the question's place names point to (not when the client chose
        documents itself: an explicit filter wins)."""
        metas = self.store.document_metas()
        if filters is not None and filters.doc_ids:
            return QuestionScope(scope_of("", metas), metas)
        unheld = unheld_places(standalone, metas, compare=shape(standalone) is Shape.COMPARE)
        return QuestionScope(scope_of(standalone, metas), metas, unheld)

    def _plan(
        self, standalone: str, filters: SearchFilters | None
    ) -> tuple[QuestionScope, KeywordSearch | None]:
        """The question's scope and, unless it compares places (one retrieval per place),
        the BM25 part of its retrieval within that scope."""
        scope = self._scope(standalone, filters)
        if _compares(scope):
            return scope, None
        return scope, self.retriever.prepare(standalone, scope.narrow(filters))

    @staticmethod
    def _reads_structure(standalone: str) -> bool:
        """Asked of a document's structure (its byline, its recommendations), answered from
        its passages in order without a retrieval."""
        return asks_authorship(standalone) or _lists_recommendations(standalone)

    def _shaped_answer(
        self,
        question: str,
        standalone: str,
        scope: QuestionScope,
        filters: SearchFilters | None,
        top_k: int | None,
        vector: np.ndarray | None = None,
    ) -> Answer | None:
        """Questions answered by structure rather than by one retrieval: "compare X and Y"
        (one answer per place) and "what are the recommendations of X" (X's own list).
        ``vector``: the question's, when already encoded."""
        if scope.unheld:
            return None  # answered (abstained) in answer_items, with the closest passages
        if _compares(scope):  # "compare X and Y", "how have X and Y …"
            parts = []
            # the question is encoded once, not once per place
            for name in scope.places.names:
                narrowed = scope.narrow(filters, scope.places.documents[name])
                result = self.retriever.retrieve(standalone, narrowed, top_k, query_vector=vector)
                vector = result.query_vector
                parts.append((scope.label(name), self._answer_one(standalone, result)))
            return merge_answers(question, parts)
        if asks_authorship(standalone) and (
            answer := self.structure.byline(question, standalone, scope, filters)
        ):
            return answer
        if _lists_recommendations(standalone):
            return self.structure.recommendations(question, standalone, scope, filters)
        return None

    def _answer_one(self, question: str, result: RetrievalResult) -> Answer:
        """One place's part of a comparison the client asked for by name: its best evidence
        is quoted (the other place's name is missing from it by construction, so the
        answerability gate, which would demand it, is not applied)."""
        verdict = replace(self.extractive.judge(question, result), answerable=True)
        return self.extractive.answer(question, result, verdict, max_sentences=COMPARE_SENTENCES)

    def answer_items(
        self,
        question: str,
        standalone: str,
        result: RetrievalResult,
        history: list[Turn],
        scope: QuestionScope | None = None,
    ) -> Iterator[str | Answer]:
        """Answer from retrieved passages: text pieces, then the ``Answer`` (always last)."""
        if not self.store.document_metas(result.generation):  # none: not "they don't say"
            answer = Answer(
                question=question, answer=EMPTY_INDEX_ANSWER, abstained=True, citations=[]
            )
            yield answer.answer
            yield answer
            return
        # Answerable? Judged on the evidence itself, for the standalone form of a follow-up.
        keywords = self.store.keyword_index(result.generation)
        rarity = keywords.inverse_document_frequencies(sorted(content_words(standalone)))
        verdict = self.extractive.judge(standalone, result, rarity)
        if scope is not None and scope.unheld:  # a council the index holds nothing about
            answer = self.extractive.abstain(question, result, None, verdict)
            answer.answer = scope.unheld_text()
            yield answer.answer
            yield answer
        elif not verdict.answerable:
            missing = unmentioned_terms(standalone, keywords)
            answer = self.extractive.abstain(question, result, None, verdict, missing)
            if scope is not None and scope.places:
                answer.answer = f"{scope.holdings()} {answer.answer}"
            yield answer.answer
            yield answer
        elif self.llm is not None:
            yield from self.llm.stream(question, result, history)
        else:
            answer = self.structure.named_item(question, standalone, result)
            answer = answer or self.structure.sequence(question, standalone, result)
            answer = answer or self.extractive.answer(question, result, verdict)
            yield from paragraph_pieces(answer.answer)
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
        query = self.check_request(query, None, filters)
        return self.retriever.retrieve(query, filters, k).passages


def _lists_recommendations(standalone: str) -> bool:
    """ "What are the recommendations of X?": answered from X's own numbered list."""
    return shape(standalone) is Shape.LIST and "recommendation" in standalone.casefold()


def _compares(scope: QuestionScope) -> bool:
    """The question names two or more places the documents are about (and none they are not)."""
    return not scope.unheld and len(scope.places.names) >= 2


def paragraph_pieces(text: str) -> Iterator[str]:
    """An extractive answer streamed paragraph by paragraph (joined, they are ``text``)."""
    paragraphs = text.split("\n\n")
    for index, paragraph in enumerate(paragraphs):
        yield paragraph + ("\n\n" if index + 1 < len(paragraphs) else "")
