"""The documents of a folder: every supported file under it, hidden ones left out, and reading
one of them with errors that name it.

``os.scandir`` rather than ``Path.rglob``: a directory entry knows whether it is a file without
another system call, and names are joined as strings. Listing a 5,183-file folder is then a few
milliseconds, where ``rglob`` with ``is_file`` and ``relative_to`` per file took ~0.1 s — most
of what an unchanged re-ingest costs at that size.
"""

from __future__ import annotations

import os
from pathlib import Path

from assistant.core.errors import UnreadableDocumentError


def documents_in(folder: Path, suffixes: tuple[str, ...]) -> list[tuple[str, str]]:
    """(path, path inside the folder with ``/``) of every file whose suffix (any case) is in
    ``suffixes``, sorted as the paths' parts sort; names starting with "." (files or folders)
    are skipped, and symbolic links to folders are not followed (as ``Path.rglob``)."""
    wanted = tuple(s.lower() for s in suffixes)
    found: list[tuple[str, str]] = []
    pending = [(str(folder), "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:  # unreadable or vanished meanwhile: nothing in it to ingest
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relative = prefix + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, relative + "/"))
                elif entry.is_file() and os.path.splitext(entry.name)[1].lower() in wanted:
                    found.append((entry.path, relative))
            except OSError:
                continue
    found.sort(key=lambda item: item[1].split("/"))
    return found


def file_status(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except OSError as exc:
        name = os.path.basename(path)
        raise UnreadableDocumentError(f"{name}: cannot be read ({exc.strerror}).") from exc


def read_file(path: str, max_bytes: int) -> bytes:
    """The file's bytes; ``UnreadableDocumentError`` when it is over ``max_bytes`` or cannot be
    read."""
    name = os.path.basename(path)
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            raise UnreadableDocumentError(
                f"{name}: {size} bytes is over the {max_bytes}-byte limit "
                "(ASSISTANT_MAX_FILE_BYTES)."
            )
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise UnreadableDocumentError(f"{name}: cannot be read ({exc.strerror}).") from exc
