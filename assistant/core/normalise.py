"""Text normalisation applied to every document before chunking.

Offsets in chunks and citations point into the normalised text, so this runs exactly once per
document and its output is what the source viewer shows.
"""

from __future__ import annotations

import re
import unicodedata

# Latin look-alikes that slide extraction leaves in English text ("Туре", "Υ").
_CONFUSABLES = str.maketrans(
    {
        "\u0422": "T",
        "\u0443": "y",
        "\u0440": "p",
        "\u0435": "e",
        "\u0410": "A",
        "\u0430": "a",
        "\u041e": "O",
        "\u043e": "o",
        "\u0421": "C",
        "\u0441": "c",
        "\u03a5": "Y",
        "\u0399": "I",
        "\u039f": "O",
        "\u0391": "A",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\ufeff": "",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TRAILING_WS = re.compile(r"[ \u3000]+$", re.MULTILINE)
_MANY_BLANKS = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Return ``text`` with unified newlines, NFC form, no control characters, tidy blank lines.

    Tabs are kept (they mark table cells) and so are form feeds (they mark PDF page breaks).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).translate(_CONFUSABLES)
    text = _CONTROL.sub("", text)
    text = _TRAILING_WS.sub("", text)
    text = _MANY_BLANKS.sub("\n\n", text)
    return text.strip("\n ") + "\n"


def fold_for_match(text: str) -> str:
    """Case-fold, unify quotes and collapse whitespace: for comparing phrases with passages."""
    text = text.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip().casefold()
