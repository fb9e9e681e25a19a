"""Answers read off one document's own structure rather than ranked by retrieval.

Some questions name a part of a document that retrieval would not rank first, because its
words do not resemble the question's: "what are the recommendations of X" (X's numbered
list), "who wrote X" (its byline or contact officer), "what happens in phase 2" (the item
labelled so), "what are the phases" (every "Phase n", in order). Each is answered from the
document's passages in their order; each returns None when the document has no such part,
and the question is then answered from retrieval as any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answering.extractive_answerer import ExtractiveAnswerer
from assistant.answering.front_matter import byline_items
from assistant.answering.named_items import item_sentences, named_item
from assistant.answering.question_type import list_noun
from assistant.answering.shaping import sequence_items
from assistant.application.question_scope import QuestionScope
from assistant.core.filters import SearchFilters
from assistant.core.models import Answer, DocumentMeta, Passage, RetrievalResult
from assistant.index.index_store import IndexStore
from assistant.retrieval.named_recommendations import mentioned_documents


@dataclass
class DocumentOrderAnswers:
    """Structure-read answers over one index's documents."""

    store: IndexStore
    extractive: ExtractiveAnswerer

    def _passages(self, meta: DocumentMeta) -> list[Passage]:
        return [Passage(chunk=c, document=meta) for c in self.store.registry.chunks_of(meta.doc_id)]

    def named_documents(
        self, standalone: str, scope: QuestionScope, filters: SearchFilters | None
    ) -> list[DocumentMeta]:
        """The documents the question's place or words name, within the client's filters."""
        doc_ids = scope.places.doc_ids or sorted(mentioned_documents(standalone, scope.metas))
        metas = [scope.metas[d] for d in doc_ids]
        return [m for m in metas if filters is None or filters.accepts(m)]

    def recommendations(
        self, question: str, standalone: str, scope: QuestionScope, filters: SearchFilters | None
    ) -> Answer | None:
        """ "What are the recommendations of X?": X's numbered recommendations, in order."""
        metas = self.named_documents(standalone, scope, filters)
        if not metas:
            return None
        passages = [p for meta in metas for p in self._passages(meta)]
        return self.extractive.answer_recommendations(question, passages)

    def byline(
        self, question: str, standalone: str, scope: QuestionScope, filters: SearchFilters | None
    ) -> Answer | None:
        """ "Who wrote the X paper?": the byline in the named document's front matter, or its
        credits ("Contact officer"); None when the question names no single document or the
        document credits nobody."""
        metas = self.named_documents(standalone, scope, filters)
        if len(metas) != 1:
            return None
        items = byline_items(standalone, self._passages(metas[0]))
        return self.extractive.answer_in_order(question, items) if items else None

    def named_item(self, question: str, standalone: str, result: RetrievalResult) -> Answer | None:
        """ "What does phase 2 involve?": that item of the best passage's document, found by
        its label ("Phase 2: …"), with what follows it; None when it has no such item."""
        named = named_item(standalone)
        if named is None or not result.passages:
            return None
        found = item_sentences(*named, self._passages(result.passages[0].document))
        if found is None:
            return None
        passage, indices, heading = found
        return self.extractive.answer_item(question, passage, indices, heading)

    def sequence(self, question: str, standalone: str, result: RetrievalResult) -> Answer | None:
        """ "What are the phases of …?": "Phase 1 …", "Phase 2 …" from the best passage's
        document, in its order, even where retrieval found only some of them."""
        noun = list_noun(standalone)
        if noun is None or not result.passages:
            return None
        items = sequence_items(noun, self._passages(result.passages[0].document))
        return self.extractive.answer_in_order(question, items) if len(items) >= 2 else None
