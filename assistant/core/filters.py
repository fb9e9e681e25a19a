"""Metadata filters on every query: documents, place, organisation, kind, date range.

A filter that cannot match anything is refused rather than silently answering "the documents
don't say": an unknown field (here), an unknown document id, a date that is not one, or invalid
Unicode (``check_filters``, which needs the indexed ids).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from assistant.core.errors import FilterError
from assistant.core.models import DocumentMeta

DATE_HINT = "an ISO date or prefix such as 2019, 2019-06 or 2019-06-30"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SHOWN = 10  # unknown names listed in a message
_SHOWN_CHARS = 80  # of each


def unicode_problem(text: str) -> str | None:
    """None for text that is valid Unicode; else where the first lone surrogate is.

    JSON's ``\\ud800`` escape (and some clients) can produce a surrogate code point without its
    pair: not a character, so it cannot be encoded as UTF-8, embedded or stored.
    """
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"a lone surrogate U+{ord(text[exc.start]):04X} at character {exc.start + 1}"
    return None


def shown(name: str) -> str:
    """A name quoted in a message: cut short, so huge input is not echoed back."""
    return name if len(name) <= _SHOWN_CHARS else name[:_SHOWN_CHARS] + "…"


def date_problem(value: str) -> str | None:
    """None for a date filter like 2019, 2019-06 or 2019-06-30; else what is wrong."""
    match = _DATE.match(value)
    if not match:
        return f"{shown(value)!r} is not {DATE_HINT}"
    _, month, day = match.groups()
    if month is not None and not 1 <= int(month) <= 12:
        return f"{value!r} has no month {month}"
    if day is not None and not 1 <= int(day) <= _DAYS[int(month) - 1]:
        return f"{value!r} has no day {day}"
    return None


def _bound(value: str, last: bool) -> tuple[int, int, int]:
    year, month, day = _DATE.match(value).groups()  # checked by date_problem first
    return (
        int(year),
        int(month) if month else (12 if last else 1),
        int(day) if day else (31 if last else 1),
    )


class SearchFilters(BaseModel):
    """Restrict retrieval; every given field must match (values within a field are OR-ed)."""

    model_config = ConfigDict(extra="forbid")

    doc_ids: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)
    date_from: str | None = Field(
        None, description="Inclusive, ISO prefix such as 2019 or 2019-06."
    )
    date_to: str | None = Field(None, description="Inclusive, ISO prefix such as 2021.")

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        """An unknown field would be ignored, so the answer would silently not be filtered."""
        if isinstance(data, dict):
            unknown = [str(key) for key in data if key not in cls.model_fields]
            if unknown:
                raise PydanticCustomError(
                    "unknown_filter_field",
                    "unknown filter field(s): {unknown}; the allowed fields are {allowed}",
                    {
                        "unknown": ", ".join(shown(name) for name in unknown[:_SHOWN]),
                        "allowed": ", ".join(cls.model_fields),
                    },
                )
        return data

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


def check_filters(filters: SearchFilters, known_doc_ids: Collection[str]) -> None:
    """Raise ``FilterError`` for filters that cannot be applied as asked (see the module)."""
    for field in ("doc_ids", "places", "organisations", "kinds"):
        for index, value in enumerate(getattr(filters, field)):
            problem = unicode_problem(value)
            if problem:
                raise FilterError(
                    f"filters.{field}[{index}] is not valid Unicode ({problem}).", field=field
                )
    for field in ("date_from", "date_to"):
        value = getattr(filters, field)
        if not value:
            continue
        invalid = unicode_problem(value)
        problem = f"not valid Unicode ({invalid})" if invalid else date_problem(value)
        if problem:
            raise FilterError(f"filters.{field}: {problem}.", field=field, expected=DATE_HINT)
    start, end = filters.date_from, filters.date_to
    if start and end and _bound(start, last=False) > _bound(end, last=True):
        raise FilterError(
            f"filters.date_from {start} is after date_to {end}: no document can match.",
            field="date_from",
        )
    unknown = [d for d in dict.fromkeys(filters.doc_ids) if d not in known_doc_ids]
    if unknown:
        listed = ", ".join(repr(shown(d)) for d in unknown[:_SHOWN])
        more = f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else ""
        raise FilterError(
            f"filters.doc_ids: unknown document id(s) {listed}{more}; "
            "GET /api/v1/documents lists the ids.",
            field="doc_ids",
            unknown_doc_ids=[shown(d) for d in unknown[:_SHOWN]],
        )
