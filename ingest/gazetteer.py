"""UK local authorities and combined authorities, and which one a document is from.

The authorities are data (``ingest/data/uk_local_authorities.yaml``): a name, a place and
aliases each. A document's authority is the one its file name, source URL, title and text name
most strongly: a full name ("Durham County Council") counts more than a bare place ("Durham"),
and the file name and URL (chosen by whoever published the file) count more than a passing
mention deep in the text. Place names that are also common words ("Reading", "Hart") count
only where they can hardly be anything else: the file name, the URL, the title.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import yaml

DATA = Path(__file__).resolve().parent / "data" / "uk_local_authorities.yaml"
_ORG_WORDS = re.compile(r"\b(Council|Authority|Corporation|Borough of|Comhairle|Mayor of)\b")
_ACRONYM = re.compile(r"^[A-Z&]{2,6}$")
# Place names that are also everyday words or very common surnames and phrases.
COMMON_WORD_PLACES = frozenset(
    str.split(
        """Reading Hart Rugby Boston Bury Brent Harrow Sutton Highland Angus Moray Wyre Swale Arun
    Rother Adur London Newport Preston Lancaster Hastings Stirling Warwick Lincoln Derby Dover
    Lewes Melton Ashford Stafford Crawley Bradford Wakefield Richmond Kingston Fife Orkney
    Shetland Torbay Halton Mansfield Chester Telford Bath Newry Derry Armagh Malvern Stockton
    Blackburn Northampton Southend Folkestone Gravesend""".casefold()
    )
) | {"north east"}
_HEAD_CHARS = 3000
_SCAN_CHARS = 100_000  # what a document says about its authority, it says early
_THRESHOLD = 2.0
# (weight of a full name, weight of a place name) by where it is found
_WEIGHTS = {"file name": (6.0, 4.0), "url": (6.0, 6.0), "title": (5.0, 3.0)}


@dataclass(frozen=True)
class Authority:
    name: str
    place: str
    tier: str
    names: tuple[str, ...]  # the name and aliases of the authority itself
    places: tuple[str, ...]  # the place and other names of it


@dataclass(frozen=True)
class AuthorityMatch:
    authority: Authority
    score: float
    source: str  # where the strongest evidence was: file name, url, title or text
    named: bool  # the authority itself is named (or is the site), not only its place


def _fold(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", _fold(text).lower().replace("&", "and"))


def _pattern(strings: list[str], flags: int) -> re.Pattern[str] | None:
    if not strings:
        return None
    parts = sorted({s for s in strings if s}, key=len, reverse=True)
    body = "|".join(re.escape(s).replace(r"\ ", r"\s+") for s in parts)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)


class Gazetteer:
    """Find authorities named in a text; pick the one a document is from."""

    def __init__(self, authorities: list[Authority]) -> None:
        self.authorities = authorities
        self._by_name: dict[str, Authority] = {}
        self._by_place: dict[str, Authority] = {}
        for authority in authorities:  # earlier tiers win a shared place ("Lancashire")
            for name in authority.names:
                self._by_name.setdefault(name.casefold(), authority)
            for place in authority.places:
                self._by_place.setdefault(place.casefold(), authority)
        names = [n for a in authorities for n in a.names if not _ACRONYM.match(n)]
        acronyms = [n for a in authorities for n in a.names if _ACRONYM.match(n)]
        places = [p for a in authorities for p in a.places]
        self._names = _pattern(names, re.IGNORECASE)
        self._names_cs = _pattern(acronyms + places, 0)  # acronyms and places: as written
        self._all_ci = _pattern(names + places, re.IGNORECASE)
        self._slugs = {_slug(s): a for a in authorities for s in (*a.names, *a.places)}

    @classmethod
    def load(cls, path: Path = DATA) -> Gazetteer:
        return _load(str(path))

    # -- finding names -----------------------------------------------------------------------
    def mentions(self, text: str, case_sensitive_places: bool = True):
        """``(authority, is_full_name, surface, start)`` for each name or place in ``text``."""
        text = _fold(text)
        taken: list[tuple[int, int]] = []
        found = []
        if not case_sensitive_places:
            patterns = [(self._all_ci, None)]
        else:
            patterns = [(self._names, True), (self._names_cs, None)]
        for pattern, full in patterns:
            if pattern is None:
                continue
            for match in pattern.finditer(text):
                span = match.span()
                if any(span[0] < end and start < span[1] for start, end in taken):
                    continue
                surface = " ".join(match.group(0).split())
                key = surface.casefold()
                is_name = key in self._by_name if full is None else True
                authority = self._by_name.get(key) if is_name else self._by_place.get(key)
                if authority is None:
                    continue
                taken.append(span)
                found.append((authority, is_name, surface, span[0]))
        return found

    def is_authority_name(self, line: str) -> bool:
        """A line that is only an authority's name or place ("Bristol City Council")."""
        cleaned = re.sub(r"[*_#|]+", " ", _fold(line)).strip(" .,:-")
        cleaned = re.sub(r"^(the|welcome to)\s+", "", cleaned, flags=re.IGNORECASE)
        cleaned = re.sub(r"\s+(website|home ?page|online)$", "", cleaned, flags=re.IGNORECASE)
        key = " ".join(cleaned.split()).casefold()
        return bool(key) and (key in self._by_name or key in self._by_place)

    def from_url(self, url: str | None) -> Authority | None:
        """The authority whose name or place is the site's name: ``www.bristol.gov.uk``."""
        if not url:
            return None
        host = (urlparse(url if "//" in url else f"//{url}").hostname or "").lower()
        labels = [x for x in host.split(".") if x not in ("www", "gov", "uk", "org", "co")]
        for label in labels[:1]:
            authority = self._slugs.get(_slug(label))
            if authority is not None:
                return authority
        return None

    # -- the document's authority ------------------------------------------------------------
    def best(
        self,
        text: str,
        title: str | None = None,
        file_name: str | None = None,
        url: str | None = None,
    ) -> AuthorityMatch | None:
        scores: dict[Authority, float] = defaultdict(float)
        strongest: dict[Authority, tuple[float, str]] = {}

        named: set[Authority] = set()

        def add(authority: Authority, weight: float, source: str, full: bool = True) -> None:
            scores[authority] += weight
            if full:
                named.add(authority)
            if weight > strongest.get(authority, (0.0, ""))[0]:
                strongest[authority] = (weight, source)

        if file_name:
            words = re.sub(r"[-_.]+", " ", Path(file_name).stem)
            for authority, full, surface, _ in self.mentions(words, case_sensitive_places=False):
                add(authority, self._weight("file name", full, surface), "file name", full)
        from_url = self.from_url(url)
        if from_url is not None:
            add(from_url, _WEIGHTS["url"][0], "url")
        if title:
            for authority, full, surface, _ in self.mentions(title):
                add(authority, self._weight("title", full, surface), "title", full)
        capped: dict[tuple[Authority, bool, bool], float] = defaultdict(float)
        for authority, full, surface, start in self.mentions(text[:_SCAN_CHARS]):
            head = start < _HEAD_CHARS
            if not full and surface.casefold() in COMMON_WORD_PLACES:
                continue
            weight, cap = {
                (True, True): (3.0, 9.0),
                (False, True): (1.0, 3.0),
                (True, False): (1.0, 3.0),
                (False, False): (0.2, 1.0),
            }[(full, head)]
            key = (authority, full, head)
            weight = min(weight, cap - capped[key])
            if weight > 0:
                capped[key] += weight
                add(authority, weight, "text", full)
        if not scores:
            return None
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        authority, score = ranked[0]
        if score < _THRESHOLD:
            return None
        return AuthorityMatch(authority, score, strongest[authority][1], authority in named)

    @staticmethod
    def _weight(source: str, full: bool, surface: str) -> float:
        name_weight, place_weight = _WEIGHTS[source]
        if full:
            return name_weight
        return 1.0 if surface.casefold() in COMMON_WORD_PLACES else place_weight


@lru_cache(maxsize=4)
def _load(path: str) -> Gazetteer:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    authorities = []
    for tier, entries in data.items():
        for entry in entries or []:
            name, place, *aliases = (str(x) for x in entry)
            names = [name] + [a for a in aliases if _ORG_WORDS.search(a) or _ACRONYM.match(a)]
            places = [place] + [a for a in aliases if a not in names]
            authorities.append(Authority(name, place, tier, tuple(names), tuple(places)))
    return Gazetteer(authorities)
