"""A question's scope: the documents about the places it names, and how to say so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.answering.composition import document_label
from assistant.core.filters import SearchFilters
from assistant.core.models import DocumentMeta
from assistant.retrieval.place_scope import PlaceScope, core_name, documents_by_name
from ingest.gazetteer import Gazetteer


def _within(name: str, held: Iterable[str]) -> bool:
    """``name`` is a whole-word part of a name the documents are about."""
    return bool(name) and any(f" {name} " in f" {h} " for h in held)


def unheld_places(
    question: str, metas: dict[str, DocumentMeta], compare: bool = False
) -> tuple[str, ...]:
    """The UK councils (from the gazetteer) a question names that no document is about — when
    it names no council the documents are about (or, for a comparison, when any one of the
    councils to compare has no document: a comparison needs both sides)."""
    named = Gazetteer.load().mentions(question)
    if not named:  # most questions name no council: nothing to look up
        return ()
    held = documents_by_name(metas).keys()  # every name variant, built once per generation
    unheld: list[str] = []
    any_held = False
    for authority, _, surface, _ in named:
        keys = {core_name(authority.name), core_name(surface), *map(core_name, authority.places)}
        if keys & held or _within(core_name(surface), held):
            any_held = True  # ("Manchester" where the documents are Greater Manchester's)
        elif authority.name not in unheld:
            unheld.append(authority.name)
    return tuple(unheld) if compare or not any_held else ()


@dataclass
class QuestionScope:
    places: PlaceScope
    metas: dict[str, DocumentMeta]
    unheld: tuple[str, ...] = ()  # councils the question names that no document is about

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

    def unheld_text(self) -> str:
        names = " or ".join(self.unheld)
        return (
            f"The documents don't say: none of the indexed documents is about {names}, so "
            "they cannot answer for it. The closest passages are listed below."
        )

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
