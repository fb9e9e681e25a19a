"""A document's metadata: the corpus manifest (``manifest.yaml``) where it has an entry, what
the document says about itself (``ingest/identity.py``) where it has none, and the user's edits
(kept in the registry) over both."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from assistant.core.errors import ManifestError
from assistant.core.models import DocumentMeta
from ingest.boilerplate import FolderLines
from ingest.gazetteer import Gazetteer
from ingest.html_loader import PageInfo, page_info
from ingest.identity import infer_identity, infer_title

MANIFEST_NAME = "manifest.yaml"
# libyaml's parser with the same safe constructors: a 1,000-entry manifest loads in 0.03 s
# instead of 0.3 s, most of an unchanged re-ingest of a 1,000-document folder
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
EDITABLE = ("title", "short_name", "organisation", "place", "date", "kind", "summary")
_KNOWN_FIELDS = {"id", *EDITABLE}
PROVENANCE, INFERRED_FROM, BEFORE_EDIT = "provenance", "inferred_from", "before_edit"
MANIFEST, INFERRED, EDITED = "manifest", "inferred", "edited"


def load_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """Entries keyed by file name (relative to ``folder``); empty when there is no manifest.

    The parsed entries are remembered by the file's content hash: a re-ingest of an unchanged
    5,183-entry manifest read it in 0.27 s of 0.5 s, and reading and hashing the bytes costs
    about a millisecond (an edit of any kind changes the hash, unlike a timestamp)."""
    path = folder / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ManifestError(f"{path}: cannot be read ({exc.strerror}).") from exc
    key = (str(path.resolve()), hashlib.blake2b(raw, digest_size=16).digest())
    cached = _PARSED.get(key[0])
    if cached is not None and cached[0] == key[1]:
        return dict(cached[1])
    documents = _parse_manifest(path, raw)
    _PARSED[key[0]] = (key[1], documents)
    return dict(documents)


_PARSED: dict[str, tuple[bytes, dict[str, dict[str, Any]]]] = {}


def _parse_manifest(path: Path, raw: bytes) -> dict[str, dict[str, Any]]:
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_SAFE_LOADER) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not valid YAML ({exc}); fix it or remove it.") from exc
    documents = data.get("documents", {}) if isinstance(data, dict) else None
    if not isinstance(documents, dict):
        raise ManifestError(f"{path}: expected a top-level 'documents:' mapping of file names.")
    for name, entry in documents.items():
        if not isinstance(entry, dict):
            raise ManifestError(f"{path}: entry for {name!r} must be a mapping.")
    return documents


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "document"


def derive_title(text: str, fallback: str) -> str:
    """The title read from the text (``ingest/identity.py``); otherwise the file name."""
    return infer_title(text, fallback, Gazetteer.load())[0]


def build_meta(
    entry: dict[str, Any] | None,
    file_name: str,
    text: str,
    source_path: str,
    *,
    data: bytes | None = None,
    edits: dict[str, str] | None = None,
    folder: FolderLines | None = None,
) -> DocumentMeta:
    """Manifest metadata where the entry gives it, inferred from the document otherwise, then
    the user's edits over both. ``extra["provenance"]`` says where each field came from
    (manifest / inferred / edited); ``extra["inferred_from"]`` where an inferred one was found.

    ``data`` is the file's bytes (a web page's own title, URL and date are read from them).
    """
    stem = Path(file_name).stem
    entry = dict(entry or {})
    earlier = entry.pop(PROVENANCE, None)
    if isinstance(earlier, dict):  # an entry rebuilt from a stored document: re-infer these
        for name, how in earlier.items():
            if how in (INFERRED, EDITED):
                entry.pop(name, None)
    for reserved in (INFERRED_FROM, BEFORE_EDIT):
        entry.pop(reserved, None)
    doc_id = slugify(str(entry.get("id") or stem))
    extra = {k: v for k, v in entry.items() if k not in _KNOWN_FIELDS}
    page = _page_info(data, file_name)
    identity = infer_identity(text, file_name, source_path, page, folder)
    values: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    found: dict[str, str] = {}
    for name in EDITABLE:
        given = entry.get(name)
        if given is not None and str(given).strip():
            values[name] = str(given)
            provenance[name] = MANIFEST
            continue
        inferred = getattr(identity, name, None)
        if name == "short_name" and provenance.get("title") == MANIFEST:
            inferred = None  # a manifest title is the name its author chose
        if inferred:
            values[name] = inferred
            provenance[name] = INFERRED
            found[name] = identity.sources.get(name, "text")
    if identity.source_url and not extra.get("source_url"):
        extra["source_url"] = identity.source_url
        found["source_url"] = "page"
    extra[PROVENANCE] = provenance
    if found:
        extra[INFERRED_FROM] = found
    meta = DocumentMeta(
        doc_id=doc_id,
        title=values.get("title") or identity.title,
        short_name=values.get("short_name"),
        organisation=values.get("organisation"),
        place=values.get("place"),
        date=values.get("date"),
        kind=values.get("kind"),
        summary=values.get("summary"),
        source_path=source_path,
        extra=extra,
    )
    return apply_edits(meta, edits or {})


def apply_edits(meta: DocumentMeta, edits: dict[str, str | None]) -> DocumentMeta:
    """``meta`` with the user's edits over it. A ``None`` edit undoes an earlier one: the value
    it replaced (kept in ``extra["before_edit"]``) comes back with its provenance."""
    meta = meta.model_copy(deep=True)
    provenance = meta.extra.setdefault(PROVENANCE, {})
    before = meta.extra.setdefault(BEFORE_EDIT, {})
    for name, value in edits.items():
        if name not in EDITABLE:
            continue
        if value is None:
            if name in before:
                old_value, old_how = before.pop(name)
                setattr(meta, name, old_value if name != "title" else old_value or meta.title)
                if old_how:
                    provenance[name] = old_how
                else:
                    provenance.pop(name, None)
            continue
        if name not in before:
            before[name] = [getattr(meta, name), provenance.get(name)]
        setattr(meta, name, value)
        provenance[name] = EDITED
    if not before:
        meta.extra.pop(BEFORE_EDIT)
    return meta


def _page_info(data: bytes | None, file_name: str) -> PageInfo | None:
    if data is None or Path(file_name).suffix.lower() not in (".html", ".htm"):
        return None
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    return page_info(data.decode(encoding, errors="replace"))
