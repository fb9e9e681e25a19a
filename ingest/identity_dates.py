"""The date a document states for itself: the meeting, decision, update or publication date.

Dates are read as UK documents write them ("10 March 2025", "10/03/2025", "March 2025") and
returned as ISO at the precision given (``2025-03-10``, ``2025-03``). The document's date is,
in order of preference: a labelled date near the top ("Date of decision: …", "Meeting: …",
"Last updated: …", "Published …"); a line that is only a date ("October 2024"); a date on one
of the first lines ("Ruth Lupton and Lorna Unwin, November 2018"). Dates deeper in the text are
events the document reports, not its own date.
"""

from __future__ import annotations

import re

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s*,?\s+(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s*,?\s+(?P<year>(?:19|20)\d\d)\b", re.IGNORECASE)
_NUMERIC = re.compile(r"\b(?P<day>\d{1,2})[/.](?P<month>\d{1,2})[/.](?P<year>\d{4}|\d{2})\b")
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b")
# A label before the date says it is the document's own date.
_OWN_DATE_LABEL = re.compile(
    r"(date of (?:the )?(?:decision|meeting|publication|report|issue)|decision date|meeting date|"
    r"report date|\bdate\b|\bmeeting\b|\bheld\b|published|publication|last (?:updated|reviewed|"
    r"modified)|\bupdated\b|\bissued\b|\bdated\b|\bversion\b)[^.]{0,40}$",
    re.IGNORECASE,
)
# …and these say it is some other date (when a decision takes effect, a deadline).
_OTHER_DATE_LABEL = re.compile(
    r"(effective|call[- ]in|deadline|expir|closing|due|until|from|between|to|review by|next)"
    r"\W*$",
    re.IGNORECASE,
)
_TOP_LINES = 30
_FIRST_LINES = 8
_DATE_ONLY_WORDS = re.compile(
    r"^(published|updated|last updated|dated|issued|date|version)?$", re.IGNORECASE
)


def dates_in(line: str) -> list[tuple[int, int, str]]:
    """``(start, end, iso)`` for each date in ``line``, full dates before month-year ones."""
    found: list[tuple[int, int, str]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= s or e <= span[0] for s, e, _ in found)

    for pattern in (_ISO, _DAY_MONTH_YEAR, _NUMERIC, _MONTH_YEAR):
        for match in pattern.finditer(line):
            iso = _iso(match)
            if iso and free(match.span()):
                found.append((match.start(), match.end(), iso))
    return sorted(found)


def _iso(match: re.Match[str]) -> str | None:
    parts = match.groupdict()
    month_text = parts["month"]
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower())
    year = int(parts["year"])
    if year < 100:
        year += 2000 if year < 50 else 1900
    if not month or not 1 <= month <= 12:
        return None
    if parts.get("day") is None:
        return f"{year:04d}-{month:02d}"
    day = int(parts["day"])
    if not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def document_date(lines: list[str]) -> str | None:
    """The document's own date from its first non-empty ``lines`` (see the module docstring)."""
    best: tuple[int, int, str] | None = None  # (preference, line number, iso)
    for number, line in enumerate(lines[:_TOP_LINES]):
        for start, end, iso in dates_in(line):
            before = line[:start]
            if _OTHER_DATE_LABEL.search(before):
                continue
            rest = (before + " " + line[end:]).strip(" *_#:-,.()|")
            if _OWN_DATE_LABEL.search(before):
                rank = 0
            elif _DATE_ONLY_WORDS.match(" ".join(rest.split())):
                rank = 1
            elif number < _FIRST_LINES:
                rank = 2
            else:
                continue
            candidate = (rank, number, iso)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
            break  # the first date of a line is the one it states
    return best[2] if best else None
