"""Which documents a question is about, by the places and organisations it names.

"What is Bristol's work experience target?" is about Bristol City Council's documents, whatever
other councils' documents say about work experience. A name in the question is matched against
each document's metadata (organisation, place, short name, title, file name, source URL), as a
whole proper-noun span: "London" in "London Challenge" is not the City of London, while
"Kirklees", "Kirklees Council" and "Durham" (for Durham County Council) are.

General rules only: the generic words of English local-government names (council, county,
city, borough, combined authority …) are stripped to find a name's core; nothing here knows
any particular council.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.core.models import DocumentMeta
from assistant.core.object_memo import per_object

_GENERIC = re.compile(
    r"\b(the|of|and|council|county|city|borough|metropolitan|district|royal|corporation|"
    r"combined authority|mayoral|london borough|unitary|authority|cc|mbc|dc|bc)\b",
    re.IGNORECASE,
)
# A proper-noun span: capitalised words, joined inside the name by "of", "upon" or "-".
_SPAN = re.compile(
    r"\b[A-Z][\w'’&.-]*(?:\s+(?:of\s+|upon\s+|-\s*)?[A-Z][\w'’&.-]*)*",
)
_POSSESSIVE = re.compile(r"['’]s?$")


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.casefold()).split())


def core_name(name: str) -> str:
    """'Durham County Council' -> 'durham'; 'London Borough of Camden' -> 'camden'."""
    return _fold(_GENERIC.sub(" ", name))


def name_variants(meta: DocumentMeta) -> frozenset[str]:
    """Folded names a question may use for a document's place or organisation.

    Asked for every document on every question (5,183 SciFact documents: ~80 ms a question),
    so each document's answer is remembered for as long as its metadata object lives: the
    index store builds new ``DocumentMeta`` objects whenever the registry changes and never
    alters one it has handed out."""
    return _remembered_variants(meta)


def _name_variants(meta: DocumentMeta) -> frozenset[str]:
    variants: set[str] = set()
    for name in (meta.organisation, meta.place):
        if name:
            variants.add(_fold(name))
            core = core_name(name)
            if core:
                variants.add(core)
    stem = Path(meta.source_path or "").stem
    for name in (meta.short_name, meta.title, stem.replace("-", " ").replace("_", " ")):
        if name and (meta.organisation or meta.place):
            continue  # titles name topics too; with a known place, only the place decides
        if name:
            core = core_name(name)
            if core and len(core.split()) <= 3:
                variants.add(core)
    return frozenset(v for v in variants if len(v) > 2)


def named_spans(question: str) -> list[str]:
    """The proper-noun spans of a question, folded, possessives dropped ("Bristol's")."""
    spans = []
    for match in _SPAN.finditer(question):
        text = _POSSESSIVE.sub("", match.group(0).strip())
        start = match.start()
        if start == 0 or question[:start].rstrip()[-1:] in ".?!":
            # a sentence-opening capital is no name by itself ("What …"); keep the rest
            head, _, rest = text.partition(" ")
            text = rest if head.lower() in _QUESTION_OPENERS else text
        if text:
            spans.append(_fold(text))
    return spans


_QUESTION_OPENERS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are",
    "was", "were", "do", "does", "did", "can", "could", "should", "would", "will", "has",
    "have", "had", "compare", "list", "describe", "summarise", "summarize", "tell", "give",
    "and", "but", "so", "in", "for", "according", "show", "explain",
}  # fmt: skip


@dataclass(frozen=True)
class PlaceScope:
    """The places a question names and the documents about each (in question order)."""

    names: tuple[str, ...]
    documents: dict[str, tuple[str, ...]]  # name -> doc ids about it

    @property
    def doc_ids(self) -> list[str]:
        seen: list[str] = []
        for name in self.names:
            seen += [d for d in self.documents[name] if d not in seen]
        return seen

    def __bool__(self) -> bool:
        return bool(self.names)


def scope_of(question: str, metas: dict[str, DocumentMeta]) -> PlaceScope:
    """The documents whose place or organisation the question names; empty when it names none
    that any document is about (then retrieval is not narrowed)."""
    spans = named_spans(question)
    if not spans:
        return PlaceScope((), {})
    by_name = documents_by_name(metas)
    names: list[str] = []
    documents: dict[str, tuple[str, ...]] = {}
    for span in spans:
        candidates = {span, core_name(span)}
        hits = tuple(sorted({d for name in candidates for d in by_name.get(name, ())}))
        if hits:
            key = core_name(span) or span
            if key not in documents:
                names.append(key)
                documents[key] = hits
    return PlaceScope(tuple(names), documents)


_BY_NAME: tuple[dict[str, DocumentMeta], int, dict[str, list[str]]] | None = None


def documents_by_name(metas: dict[str, DocumentMeta]) -> dict[str, list[str]]:
    """Name variant -> the documents it names, for the last ``metas`` asked about (the index
    store hands out one dictionary per registry generation, so this is built once per
    generation, not once per question)."""
    global _BY_NAME
    cached = _BY_NAME
    if cached is not None and cached[0] is metas and cached[1] == len(metas):
        return cached[2]
    by_name: dict[str, list[str]] = {}
    for doc_id, meta in metas.items():
        for name in name_variants(meta):
            by_name.setdefault(name, []).append(doc_id)
    _BY_NAME = (metas, len(metas), by_name)
    return by_name


_remembered_variants = per_object(_name_variants)
