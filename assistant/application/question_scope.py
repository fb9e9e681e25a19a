"""A question's scope: the documents about the places it names, and how to say so."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answering.composition import document_label
from assistant.core.filters import SearchFilters
from assistant.core.models import DocumentMeta
from assistant.retrieval.place_scope import PlaceScope


@dataclass
class QuestionScope:
    places: PlaceScope
    metas: dict[str, DocumentMeta]

    def narrow(
        self, filters: SearchFilters | None, doc_ids: tuple[str, ...] | list[str] | None = None
    ) -> SearchFilters | None:
        """``filters`` restricted to the scoped documents (or ``doc_ids``); unchanged when
        the question names no place any document is about."""
        wanted = list(doc_ids if doc_ids is not None else self.places.doc_ids)
        if not wanted:
            return filters
        base = filters or SearchFilters()
        return base.model_copy(update={"doc_ids": wanted})

    def label(self, name: str) -> str:
        """The name as the documents spell it ("Kirklees Council"), for a paragraph's opening."""
        for doc_id in self.places.documents.get(name, ()):
            meta = self.metas[doc_id]
            if meta.organisation or meta.place:
                return meta.organisation or meta.place or name
        return name.title()

    def holdings(self) -> str:
        """ "For Bristol the documents are: Bristol City Council’s web page “…”." """
        parts = []
        for name in self.places.names:
            docs = []
            for doc_id in self.places.documents[name]:
                meta = self.metas[doc_id]
                docs.append(document_label(meta) or f"“{meta.title}”")
            parts.append(f"For {self.label(name)} the documents are: {'; '.join(docs)}.")
        return " ".join(parts)
