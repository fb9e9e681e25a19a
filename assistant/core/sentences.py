"""Sentence boundaries with character spans.

Sentences are the unit the extractive answerer quotes and the span a citation highlights, so
the splitter must not break on "e.g." or "c.30", and each line of a list or table is its own unit.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "etc",
    "c",
    "cf",
    "vs",
    "no",
    "nos",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "cllr",
    "inc",
    "ltd",
    "co",
    "approx",
    "fig",
    "dept",
    "govt",
    "est",
    "al",
    "ed",
    "vol",
    "pp",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "ca",
}
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then space.
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+)(?=[\"'“‘(\[]?[A-Z0-9£$•-])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_MIN_SENTENCE = 3


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences in ``text``, shifted by ``offset``.

    Each non-empty line is split separately, because in these documents a line break almost
    always ends a thought (list items, table rows, slide lines).
    """
    spans: list[tuple[int, int]] = []
    position = 0
    for line in text.split("\n"):
        line_start = position
        position += len(line) + 1
        if not line.strip():
            continue
        spans.extend(_split_line(line, line_start + offset))
    return spans


def _split_line(line: str, base: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = len(line) - len(line.lstrip())
    for match in _BOUNDARY.finditer(line):
        end = match.end(2)
        if match.group(1) == "." and _is_abbreviation(line[start : match.start(1)]):
            continue
        if end - start >= _MIN_SENTENCE:
            spans.append((base + start, base + end))
            start = match.end(3)
    end = len(line.rstrip())
    if end > start:
        spans.append((base + start, base + end))
    return spans


def _is_abbreviation(before: str) -> bool:
    match = _WORD_BEFORE.search(before)
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    return word in _ABBREVIATIONS or len(word) == 1 or "." in word
