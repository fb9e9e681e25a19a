"""Metadata filters on every query: documents, place, organisation, kind, date range."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.core.models import DocumentMeta


class SearchFilters(BaseModel):
    """Restrict retrieval; every given field must match (values within a field are OR-ed)."""

    doc_ids: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)
    date_from: str | None = Field(
        None, description="Inclusive, ISO prefix such as 2019 or 2019-06."
    )
    date_to: str | None = Field(None, description="Inclusive, ISO prefix such as 2021.")

    def is_empty(self) -> bool:
        return not (
            self.doc_ids
            or self.places
            or self.organisations
            or self.kinds
            or self.date_from
            or self.date_to
        )

    def accepts(self, meta: DocumentMeta) -> bool:
        def among(value: str | None, wanted: list[str]) -> bool:
            return not wanted or (value or "").casefold() in {w.casefold() for w in wanted}

        if self.doc_ids and meta.doc_id not in self.doc_ids:
            return False
        if not (
            among(meta.place, self.places)
            and among(meta.organisation, self.organisations)
            and among(meta.kind, self.kinds)
        ):
            return False
        date = meta.date or ""
        if self.date_from and (not date or date[: len(self.date_from)] < self.date_from):
            return False
        return not (self.date_to and (not date or date[: len(self.date_to)] > self.date_to))
