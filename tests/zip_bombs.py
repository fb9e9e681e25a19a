"""A zip-bomb .docx, built without ever holding (or compressing) its expanded content.

``word/document.xml`` is one megabyte of repeated bytes deflated once, with a full flush so the
compressed piece decodes the same wherever it stands, then repeated: a 1 GiB part costs about
1 MB of archive and a CRC pass, not a gigabyte of compression. The archive is a real Word
package: python-docx, unguarded, would expand the part to its full size and parse it.
"""

from __future__ import annotations

import functools
import struct
import zlib

_BLOCK = 1 << 20
_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_DOCUMENT_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats'
    b'.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
)


@functools.lru_cache(maxsize=4)
def zip_bomb_docx(expanded_bytes: int = 1 << 30) -> bytes:
    """A .docx whose ``word/document.xml`` expands to about ``expanded_bytes``."""
    blocks = max(1, expanded_bytes // _BLOCK)
    block = b"A" * _BLOCK
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    head_piece = head.compress(_DOCUMENT_HEAD) + head.flush(zlib.Z_FULL_FLUSH)
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = body.compress(block) + body.flush(zlib.Z_FULL_FLUSH)
    deflated = head_piece + piece * blocks + body.flush(zlib.Z_FINISH)
    crc = zlib.crc32(_DOCUMENT_HEAD)
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    size = len(_DOCUMENT_HEAD) + blocks * _BLOCK
    entries = [
        ("[Content_Types].xml", 0, _CONTENT_TYPES, zlib.crc32(_CONTENT_TYPES), len(_CONTENT_TYPES)),
        ("_rels/.rels", 0, _RELS, zlib.crc32(_RELS), len(_RELS)),
        ("word/document.xml", 8, deflated, crc, size),
    ]
    return _zip(entries)


def _zip(entries: list[tuple[str, int, bytes, int, int]]) -> bytes:
    """A zip of (name, method, stored bytes, crc, expanded size); sizes under 4 GiB."""
    local, central = bytearray(), bytearray()
    for name, method, stored, crc, size in entries:
        encoded = name.encode()
        offset = len(local)
        local += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(stored), size,
            len(encoded), 0,
        )  # fmt: skip
        local += encoded + stored
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(stored),
            size, len(encoded), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += encoded
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0
    )
    return bytes(local + central + end)
