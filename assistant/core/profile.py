"""The corpus profile: wording that depends on a deployment's documents, as editable data.

Lead-in wording per document kind and attribution groups (answering), the role words of a
quote's attribution line and the markup a converter leaves in the text (ingest).

``assistant/core/data/corpus_profile.yaml`` holds defaults written for UK local-government
publications in general; a deployment adds its own wording in a ``profile.yaml`` beside its
documents (the corpus folder) or in the file ``ASSISTANT_CORPUS_PROFILE`` names. Lists are
extended and mappings updated, so a deployment file only says what it adds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_PROFILE = Path(__file__).with_name("data") / "corpus_profile.yaml"
PROFILE_NAME = "profile.yaml"


@dataclass(frozen=True)
class LeadIn:
    noun: str
    verb: str


@dataclass(frozen=True)
class CorpusProfile:
    lead_ins: dict[str, LeadIn]
    default_lead_in: LeadIn
    qualifiers: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    speaker_roles: tuple[str, ...] = ()
    markup: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=())

    def lead_in_for(self, kind: str | None) -> LeadIn:
        return self.lead_ins.get((kind or "").strip().casefold(), self.default_lead_in)

    def ingest_signature(self) -> str:
        """A short hash of the wording ingest reads, so editing it re-chunks every document."""
        parts = [self.qualifiers, self.groups, self.speaker_roles, self.markup]
        blob = "|/|".join("|".join(sorted(set(words))) for words in parts)
        return hashlib.sha256(blob.encode()).hexdigest()[:8]


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + [v for v in value if v not in merged[key]]
        else:
            merged[key] = value
    return merged


@lru_cache(maxsize=8)
def load_profile(*extra_files: Path) -> CorpusProfile:
    """The default profile with each existing ``extra_files`` merged over it, in order."""
    data = yaml.safe_load(DEFAULT_PROFILE.read_text(encoding="utf-8")) or {}
    sources = [str(DEFAULT_PROFILE)]
    for path in extra_files:
        if path and Path(path).is_file():
            data = _merge(data, yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
            sources.append(str(path))
    lead_ins = {
        str(kind).casefold(): LeadIn(str(v["noun"]), str(v["verb"]))
        for kind, v in (data.get("lead_ins") or {}).items()
    }
    default = data.get("default_lead_in") or {"noun": "document", "verb": "says"}
    attribution = data.get("attribution") or {}
    return CorpusProfile(
        lead_ins=lead_ins,
        default_lead_in=LeadIn(str(default["noun"]), str(default["verb"])),
        qualifiers=tuple(str(q) for q in attribution.get("qualifiers") or ()),
        groups=tuple(str(g) for g in attribution.get("groups") or ()),
        speaker_roles=tuple(str(r) for r in data.get("speaker_roles") or ()),
        markup=tuple(str(m) for m in data.get("markup") or () if str(m)),
        sources=tuple(sources),
    )


def profile_for(corpus_dir: Path | None, explicit: Path | None = None) -> CorpusProfile:
    """The profile a deployment runs with: defaults, then the corpus folder's, then explicit."""
    files = []
    if corpus_dir is not None:
        files.append(Path(corpus_dir) / PROFILE_NAME)
    if explicit is not None:
        files.append(Path(explicit))
    return load_profile(*files)
