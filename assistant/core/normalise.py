"""Text normalisation applied to every document before chunking.

Offsets in chunks and citations point into the normalised text, so this runs exactly once per
document and its output is what the source viewer shows.
"""

from __future__ import annotations

import re
import unicodedata

# Cyrillic and Greek letters drawn like Latin ones. PDF and slide extraction (a font's glyph
# mapped to the wrong code point) leaves them inside English words ("Туре", a tick column of
# "Υ"), where they break search and matching. They are read as Latin only in a word made of
# Latin letters and look-alikes, on a line mostly in Latin script (see ``_unconfuse``), so a
# council's Ukrainian, Russian or Greek text (translated leaflets) keeps its own letters.
_LOOKALIKES = {
    **dict(zip("АВСЕНІЈКМОРЅТХУ", "ABCEHIJKMOPSTXY", strict=True)),  # Cyrillic capitals
    **dict(zip("аеіјорѕсху", "aeijopscxy", strict=True)),  # Cyrillic small letters
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧο", "ABEZHIKMNOPTYXo", strict=True)),  # Greek
}
_LATIN_OF = str.maketrans(_LOOKALIKES)
_HAS_LOOKALIKE = re.compile("[" + "".join(_LOOKALIKES) + "]")
_WORD = re.compile(r"[^\W\d_]+")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\ufeff": ""})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TRAILING_WS = re.compile(r"[ \u3000]+$", re.MULTILINE)
_MANY_BLANKS = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Return ``text`` with unified newlines, NFC form, no control characters, tidy blank lines.

    Tabs are kept (they mark table cells) and so are form feeds (they mark PDF page breaks).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).translate(_SPACES)
    if _HAS_LOOKALIKE.search(text):
        text = _unconfuse(text)
    text = _CONTROL.sub("", text)
    text = _TRAILING_WS.sub("", text)
    text = _MANY_BLANKS.sub("\n\n", text)
    return text.strip("\n ") + "\n"


def _unconfuse(text: str) -> str:
    """``text`` with look-alike letters read as Latin in its Latin-script words.

    A word is rewritten only when all its letters are Latin or look-alikes: a real Cyrillic or
    Greek word has letters with no Latin twin (д, л, λ). Its line must hold more Latin letters
    than such unambiguous Cyrillic and Greek ones; a line with neither (a lone "Туре" heading)
    is judged by the same count over the whole document. So English text is repaired and text
    in those scripts is never touched, in any council's documents.
    """
    document_latin: bool | None = None
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not _HAS_LOOKALIKE.search(line):
            continue
        latin = _latin_lead(line)
        if latin == 0:
            if document_latin is None:
                document_latin = _latin_lead(text) > 0
            latin = 1 if document_latin else -1
        if latin > 0:
            lines[index] = _WORD.sub(_latin_word, line)
    return "\n".join(lines)


def _latin_lead(text: str) -> int:
    """Latin letters minus Cyrillic and Greek letters that have no Latin look-alike."""
    lead = 0
    for ch in text:
        if ch.isascii():
            lead += ch.isalpha()
        elif "\u0370" <= ch <= "\u04ff" and ch not in _LOOKALIKES and ch.isalpha():
            lead -= 1
    return lead


def _latin_word(match: re.Match[str]) -> str:
    fixed = match.group().translate(_LATIN_OF)
    return match.group() if any("\u0370" <= ch <= "\u04ff" for ch in fixed) else fixed


def fold_for_match(text: str) -> str:
    """Case-fold, unify quotes and collapse whitespace: for comparing phrases with passages."""
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip().casefold()
