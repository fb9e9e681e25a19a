"""The corpus manifest (``manifest.yaml``) and metadata derived from a file when it has none."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from assistant.core.errors import ManifestError
from assistant.core.models import DocumentMeta

MANIFEST_NAME = "manifest.yaml"
_KNOWN_FIELDS = {"id", "title", "short_name", "organisation", "place", "date", "kind", "summary"}


def load_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """Entries keyed by file name (relative to ``folder``); empty when there is no manifest."""
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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
    """First heading or first short line of the text; otherwise the file name."""
    for line in text.splitlines()[:40]:
        candidate = line.strip().lstrip("#").strip().strip("*").strip()
        if 3 <= len(candidate) <= 150 and "\t" not in candidate:
            return candidate
    return fallback.replace("_", " ").replace("-", " ").strip().capitalize() or "Untitled"


def build_meta(
    entry: dict[str, Any] | None, file_name: str, text: str, source_path: str
) -> DocumentMeta:
    """Manifest metadata when there is an entry; derived metadata otherwise."""
    stem = Path(file_name).stem
    entry = dict(entry or {})
    doc_id = slugify(str(entry.get("id") or stem))
    title = str(entry.get("title") or derive_title(text, stem))
    extra = {k: v for k, v in entry.items() if k not in _KNOWN_FIELDS}
    return DocumentMeta(
        doc_id=doc_id,
        title=title,
        short_name=entry.get("short_name"),
        organisation=entry.get("organisation"),
        place=entry.get("place"),
        date=str(entry["date"]) if entry.get("date") is not None else None,
        kind=entry.get("kind"),
        summary=entry.get("summary"),
        source_path=source_path,
        extra=extra,
    )
