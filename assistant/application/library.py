"""Browsing: the documents, their outlines and text, passages in context, recommendations."""

from __future__ import annotations

from assistant.core.errors import NotFoundError
from assistant.core.models import Passage
from assistant.core.views import DocumentDetail, DocumentSummary, PassageView, SectionOutline
from assistant.index.index_store import IndexStore


class Library:
    """Read-only views over the registry (the source of truth for documents and passages)."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store

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
        return DocumentDetail(
            meta=stored.meta,
            content_hash=stored.content_hash,
            chunk_count=stored.chunk_count,
            ingested_at=stored.ingested_at,
            outline=self._outline(doc_id),
            char_count=len(stored.text),
        )

    def _outline(self, doc_id: str) -> list[SectionOutline]:
        """Consecutive passages of one section, folded into one outline entry."""
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
        return outline

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
