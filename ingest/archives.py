"""Zip-based documents (.docx) are checked before they are parsed: a zip bomb is refused.

A 1 MB .docx can hold a part that expands to gigabytes; python-docx would read it all into
memory. ``check_archive`` reads only the archive's directory (no part is decompressed) and
refuses an archive that would expand past ``ArchiveLimits``: too many bytes in all, too many
times its own size, or too many parts. Python's ``zipfile``, which python-docx reads parts
with, never yields more than an entry's declared size (more fails its CRC check), so an archive
that lies about its sizes is cut short and refused as corrupt when parsed. No maintained
library does this check (the candidates on PyPI are unmaintained or one-author experiments),
and the standard library gives everything it needs.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from assistant.core.errors import ArchiveTooLargeError, UnreadableDocumentError
from assistant.core.settings import Settings

ZIP_SUFFIXES = (".docx",)  # the accepted formats that are zip archives
_RATIO_FLOOR = 1024 * 1024  # archives expanding to less than this are never refused by ratio
_MAX_ZIP_ENTRIES = 10_000  # a .docx has tens of parts; each entry costs memory to list


@dataclass(frozen=True)
class ArchiveLimits:
    """How far a zip-based file may expand: ``max_unzipped_bytes`` in all, and no more than
    ``max_ratio`` times its own size once it expands past 1 MiB."""

    max_unzipped_bytes: int
    max_ratio: float

    @classmethod
    def defaults(cls) -> ArchiveLimits:
        fields = Settings.model_fields  # the defaults live in Settings only
        return cls(fields["max_unzipped_bytes"].default, fields["max_zip_ratio"].default)

    @classmethod
    def from_settings(cls, settings: Settings) -> ArchiveLimits:
        return cls(settings.max_unzipped_bytes, settings.max_zip_ratio)


def check_archive(data: bytes, name: str, limits: ArchiveLimits) -> None:
    """Raise ``ArchiveTooLargeError`` if the zip ``data`` would expand past ``limits``
    (``UnreadableDocumentError`` if it is not a readable zip); decompresses nothing."""
    if data.count(b"PK\x01\x02") > _MAX_ZIP_ENTRIES:  # before zipfile lists every entry
        raise ArchiveTooLargeError(
            f"{name}: the archive has over {_MAX_ZIP_ENTRIES:,} parts; a Word document has tens. "
            "It may be a zip bomb, so it was not opened."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise UnreadableDocumentError(f"{name}: corrupt or unreadable archive ({exc}).") from exc
    if expanded > limits.max_unzipped_bytes:
        raise ArchiveTooLargeError(
            f"{name}: the archive would expand to {expanded:,} bytes, over the limit of "
            f"{limits.max_unzipped_bytes:,} bytes (ASSISTANT_MAX_UNZIPPED_BYTES); it may be a "
            "zip bomb, so it was not opened. Save a smaller copy, or raise the limit."
        )
    ratio = expanded / max(1, len(data))
    if expanded > _RATIO_FLOOR and ratio > limits.max_ratio:
        raise ArchiveTooLargeError(
            f"{name}: the archive would expand {ratio:,.0f} times its size of {len(data):,} "
            f"bytes, over the limit of {limits.max_ratio:g} times (ASSISTANT_MAX_ZIP_RATIO); "
            "it may be a zip bomb, so it was not opened. Save a copy without the repeated "
            "content, or raise the limit."
        )
