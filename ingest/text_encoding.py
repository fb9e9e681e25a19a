"""Which text encodings are read, and how UTF-16 without a byte-order mark is recognised.

Text files (.txt, .md, .html) are read as UTF-8, with or without a BOM, or as UTF-16: with a
BOM, or without one when the bytes show it (Windows tools save "Unicode" text that way). Any
other encoding is refused with a message that says how to convert the file to UTF-8.
"""

from __future__ import annotations

import unicodedata

from assistant.core.errors import UnreadableDocumentError

BOMS = (b"\xff\xfe", b"\xfe\xff")
_SAMPLE = 8192
_NOT_TEXT = ("Cc", "Cn", "Co", "Cs")  # control, unassigned, private use, surrogate


def utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` when ``data`` is UTF-16 text without a BOM, else None.

    Text in a Latin script saved as UTF-16 has a NUL in every other byte, and which half holds
    them gives the byte order. Text without NULs that is not UTF-8 (Chinese saved as UTF-16,
    say) is left to charset-normalizer, and only a UTF-16 answer counts. Either way a sample
    must decode to text (no control codes, unassigned or private characters), so a binary file
    with NULs in it is not taken for text.
    """
    sample = data[:_SAMPLE]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 2 or data.startswith(BOMS):
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if even or odd:
        if max(even, odd) < len(sample) // 8 or min(even, odd) * 4 > max(even, odd):
            return None  # few NULs, or NULs in both halves: binary, not UTF-16 text
        encoding = "utf-16-le" if odd > even else "utf-16-be"
    else:
        if _is_utf8(data[:_SAMPLE], complete=len(data) <= _SAMPLE):
            return None
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        encoding = best.encoding.replace("_", "-") if best is not None else ""
        if encoding not in ("utf-16-le", "utf-16-be"):
            return None
    return encoding if _looks_like_text(sample, encoding) else None


def decode_utf16_head(data: bytes) -> str:
    """The start of UTF-16 ``data`` (BOM or not) as text, for sniffing its kind."""
    head = data[:4096]
    if head.startswith(BOMS):
        return head.decode("utf-16", errors="replace")
    return head.decode(utf16_without_bom(data) or "utf-16-le", errors="replace")


def decode_text(data: bytes, name: str) -> str:
    """``data`` as text (UTF-8 or UTF-16), or ``UnreadableDocumentError`` saying what to do."""
    encoding = "utf-16" if data.startswith(BOMS) else utf16_without_bom(data)
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise UnreadableDocumentError(
                f"{name}: invalid {encoding.upper()} text ({exc}); re-save it as UTF-8."
            ) from exc
    if b"\x00" in data[:_SAMPLE]:
        raise UnreadableDocumentError(
            f"{name}: looks binary (NUL bytes), not text; skipped. Text is read as UTF-8 or "
            "UTF-16; if this is text in another encoding, convert it to UTF-8, e.g. "
            f"`iconv -f utf-32 -t utf-8 '{name}' > fixed.txt`."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocumentError(
            f"{name}: not valid UTF-8 (byte {exc.start}); text is read as UTF-8 or UTF-16. "
            f"Re-save it as UTF-8, e.g. `iconv -f cp1252 -t utf-8 '{name}' > fixed.txt`, then "
            "ingest again."
        ) from exc


def _is_utf8(sample: bytes, complete: bool) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return not complete and exc.start >= len(sample) - 3  # cut inside the last character
    return True


def _looks_like_text(sample: bytes, encoding: str) -> bool:
    text = sample.decode(encoding, errors="replace")
    if text.endswith("\ufffd"):  # the sample may end inside a surrogate pair
        text = text[:-1]
    if not text:
        return False
    odd = sum(
        1
        for ch in text
        if ch == "\ufffd" or (ch not in "\t\n\r\f" and unicodedata.category(ch) in _NOT_TEXT)
    )
    return odd <= len(text) // 100
