"""Metrics that read the answer itself, not only the passages it cites.

- *answer states the finding*: a key phrase occurs in the answer text;
- *sentence citation precision*: each answer sentence occurs in a passage it cites;
- *wrong-place answers*: a cited document is about another place than the question names.

Pure functions over plain data (strings, ``DocumentMeta``-like objects with ``place``,
``organisation`` and ``title``). Text is compared as answer support compares it
(``fold_phrase``), after forgiving how an answer renders what it quotes: ``[n]`` citation
markers, list bullets, quote marks put around a quotation and labels put in front of it
("Recommendation 3: …", 'A school partner said: “…”'). A second, word-level comparison
(punctuation ignored, words in order and contiguous) catches re-punctuated table rows and
quotes whose marks were trimmed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from eval.metrics import fold_phrase

_MARKER = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")
_BULLET = re.compile(r"^[ \t]*[-•*▪‣◦][ \t]+", re.MULTILINE)
_RECOMMENDATION_LABEL = re.compile(r"\brecommendation \d+[a-z]?: ")
# a label the answer puts before a quoted sentence: at most ~10 words, then ": "
_LABEL = re.compile(r"^[^:\n]{1,100}?:\s+")
_WRAPPING = "\"'“”‘’«» "
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*$")
_WORD = re.compile(r"\w+")
MIN_UNWRAPPED_WORDS = 3


# -- text as an answer renders it --------------------------------------------------------------
def strip_markers(text: str) -> str:
    """``text`` without its ``[n]`` / ``[1, 2]`` citation markers (and the space before)."""
    return _MARKER.sub("", text)


def answer_fold(text: str) -> str:
    """Markers and list bullets removed, folded like answer support (``fold_phrase``), double
    quote marks and "Recommendation N:" labels dropped. Applied to answers and phrases alike."""
    folded = fold_phrase(_BULLET.sub("", strip_markers(text))).replace('"', "")
    folded = _RECOMMENDATION_LABEL.sub("", folded)
    return re.sub(r"\s+", " ", folded).strip()


def words(text: str) -> str:
    """The words of ``text`` in order, space-joined and space-padded, for contiguous matching."""
    return " " + " ".join(_WORD.findall(answer_fold(text))) + " "


def occurs_in(needle: str, haystack: str) -> bool:
    """``needle`` occurs in ``haystack``: as folded text, or as the same run of words."""
    folded = answer_fold(needle)
    if not folded:
        return False
    if folded in answer_fold(haystack):
        return True
    run = words(needle)
    return run.strip() != "" and run in words(haystack)


# -- answer states the finding -----------------------------------------------------------------
def states_finding(abstained: bool, answer_text: str, phrases: Iterable[str]) -> bool:
    """An answer (not an abstention) whose own text holds a key phrase."""
    return not abstained and any(occurs_in(phrase, answer_text) for phrase in phrases)


# -- citation precision per answer sentence ----------------------------------------------------
def sentence_forms(text: str) -> list[str]:
    """What an answer sentence may be a quotation of: itself, without a label ending in ": "
    (a speaker's "… said:", "Recommendation 3:"), without wrapping quote marks, without a
    trailing ellipsis or full stop. Forms shorter than three words are dropped unless the
    sentence itself is that short."""
    base = strip_markers(text).strip()
    candidates = [base]
    label = _LABEL.match(base)
    if label:
        candidates.append(base[label.end() :])
    forms: list[str] = []
    for candidate in candidates:
        inner = candidate.strip(_WRAPPING)
        trimmed = _ELLIPSIS.sub("", inner).strip(_WRAPPING)
        for form in (candidate, inner, trimmed, trimmed.rstrip(".").strip(_WRAPPING)):
            if form and form not in forms:
                forms.append(form)
    short = len(_WORD.findall(base)) < MIN_UNWRAPPED_WORDS
    return [f for f in forms if short or len(_WORD.findall(f)) >= MIN_UNWRAPPED_WORDS]


def sentence_supported(text: str, cited_texts: Iterable[str]) -> bool:
    """Whether the sentence (or its unwrapped quotation) occurs in one of ``cited_texts``."""
    forms = sentence_forms(text)
    return any(occurs_in(form, passage) for passage in cited_texts for form in forms)


def cited_numbers(text: str, citations: Sequence[int]) -> list[int]:
    """A sentence's citation numbers: its own list, else the ``[n]`` markers in its text."""
    if citations:
        return list(citations)
    return [int(n) for marker in _MARKER.findall(text) for n in re.findall(r"\d+", marker)]


def sentence_precision(
    sentences: Sequence[tuple[str, Sequence[int]]], passage_of: Mapping[int, str]
) -> tuple[float | None, int]:
    """Share of the cited sentences that occur in a passage they cite, and how many sentences
    cite nothing (not scored: a sentence without a citation makes no claim of support).
    ``sentences``: ``(text, citation numbers)``; ``passage_of``: citation number -> text."""
    supported = scored = uncited = 0
    for text, numbers in sentences:
        numbers = cited_numbers(text, numbers)
        if not numbers:
            uncited += 1
            continue
        scored += 1
        if sentence_supported(text, [passage_of[n] for n in numbers if n in passage_of]):
            supported += 1
    return (supported / scored if scored else None), uncited


# -- places ------------------------------------------------------------------------------------
# Words that name a kind of authority, not which one. Phrases go first ("London Borough of
# Camden" is Camden; "City of London" keeps London).
_GENERIC_PHRASES = (
    "london borough of",
    "royal borough of",
    "city and county of",
    "combined authority",
    "county borough",
)
_GENERIC_WORDS = frozenset(
    {
        *("county", "city", "council", "borough", "metropolitan", "district", "unitary"),
        *("combined", "authority", "corporation", "royal", "town", "parish"),
        *("of", "the", "and", "s"),
    }
)


def place_words(name: str | None) -> frozenset[str]:
    """The distinctive words of a place or organisation name."""
    text = fold_phrase((name or "").replace("&", " and ").replace("-", " "))
    for phrase in _GENERIC_PHRASES:
        text = re.sub(rf"\b{phrase}\b", " ", text)
    return frozenset(w for w in re.findall(r"[^\W\d_]+", text) if w not in _GENERIC_WORDS)


def places_match(a: str | None, b: str | None) -> bool:
    """Two names are of the same place when one's distinctive words include all the other's
    ("County Durham" ~ "Durham County Council"; "City of London" !~ "London Borough of
    Camden"; "West Yorkshire" !~ "North Yorkshire")."""
    left, right = place_words(a), place_words(b)
    return bool(left and right) and (left <= right or right <= left)


def document_names(meta, doc_id: str = "") -> list[str]:
    """The names a document is about: its place and organisation as indexed, else (neither
    known) its title and file name."""
    if meta is not None:
        place, organisation = getattr(meta, "place", None), getattr(meta, "organisation", None)
        named = [n for n in (place, organisation) if n]
        if named:
            return named
        return [n for n in (getattr(meta, "title", None), doc_id.replace("-", " ")) if n]
    return [doc_id.replace("-", " ")] if doc_id else []


def question_places(
    place_field, expected_docs: Sequence[str], metas: Mapping[str, object]
) -> tuple[list[str], str | None]:
    """The places a question names, and where they came from: the question file's ``place:``
    (a string or a list), else the place and organisation of its expected documents."""
    if place_field:
        listed = [place_field] if isinstance(place_field, str) else list(place_field)
        return [str(p) for p in listed if p], "question"
    derived: list[str] = []
    for doc_id in expected_docs:
        meta = metas.get(doc_id)
        for name in (getattr(meta, "place", None), getattr(meta, "organisation", None)):
            if name and name not in derived:
                derived.append(name)
    return derived, ("expected_docs" if derived else None)


def wrong_place_docs(
    cited_doc_ids: Iterable[str], places: Sequence[str], metas: Mapping[str, object]
) -> list[str]:
    """Cited documents (each once, in order) about none of ``places``."""
    wrong: list[str] = []
    for doc_id in dict.fromkeys(cited_doc_ids):
        names = document_names(metas.get(doc_id), doc_id)
        if not any(places_match(place, name) for place in places for name in names):
            wrong.append(doc_id)
    return wrong
