"""The known-findings question sets ``strategy-assistant eval --set`` knows, and where each
one's corpus, questions, thresholds and reports are.

- ``seed``: ``eval/questions.yaml`` over the configured corpus (``corpus/`` by default),
  gated by the ``full`` / ``quick`` sections of ``eval/thresholds.yaml``.
- ``heldout``: ``eval/heldout/questions.yaml`` over ``eval/heldout/corpus/`` (9 documents,
  no manifest), reported against the ``heldout`` section, which is report-only: a breach is
  printed, never an exit code. The set is never used for tuning (eval/heldout/README.md).
- ``blind``: ``eval/blind/questions.yaml`` over ``eval/blind/corpus/`` (6 documents, no
  manifest), reported against the report-only ``blind`` section. Written after the
  2026-12-01 answering changes and never used for tuning (eval/blind/README.md).
- ``dev``: ``eval/dev/questions.yaml`` over ``eval/dev/corpus/`` (8 documents, no manifest),
  reported against the report-only ``dev`` section. A development set that MAY be used for
  tuning (unlike heldout and blind), so that rules are chosen on documents other than the
  seed corpus (eval/dev/README.md); not a gate, and ``--calibrate`` still calibrates on seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from assistant.core.settings import PROJECT_ROOT

EVAL_DIR = Path(__file__).resolve().parent
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"


@dataclass(frozen=True)
class QuestionSet:
    name: str
    questions: Path
    corpus: Path | None  # None: the configured corpus folder
    thresholds_section: str | None  # None: the section named after the subset
    gate: bool  # whether a broken threshold fails the command

    def section_for(self, subset: str) -> str | None:
        """The thresholds section that applies to ``subset`` of this set."""
        if self.thresholds_section is None:
            return subset
        return self.thresholds_section if subset in ("full", "all", "") else None


SETS = {
    "seed": QuestionSet("seed", EVAL_DIR / "questions.yaml", None, None, gate=True),
    "heldout": QuestionSet(
        "heldout",
        EVAL_DIR / "heldout" / "questions.yaml",
        EVAL_DIR / "heldout" / "corpus",
        "heldout",
        gate=False,
    ),
    "blind": QuestionSet(
        "blind",
        EVAL_DIR / "blind" / "questions.yaml",
        EVAL_DIR / "blind" / "corpus",
        "blind",
        gate=False,
    ),
    "dev": QuestionSet(
        "dev",
        EVAL_DIR / "dev" / "questions.yaml",
        EVAL_DIR / "dev" / "corpus",
        "dev",
        gate=False,
    ),
}


class UnknownSetError(ValueError):
    pass


def get_set(name: str) -> QuestionSet:
    try:
        return SETS[name]
    except KeyError:
        raise UnknownSetError(
            f"Unknown question set {name!r}: use one of {', '.join(SETS)}."
        ) from None


def index_folder_name(corpus: Path, fingerprint: str, set_name: str | None = None) -> str:
    """The private evaluation index's folder for ``corpus``: ``index-<fingerprint>`` for the
    default corpus (as before), ``<set or folder>-<path hash>-index-<fingerprint>`` for any
    other, so two corpora never share (or delete) each other's index."""
    resolved = Path(corpus).resolve()
    if resolved == DEFAULT_CORPUS.resolve():
        return f"index-{fingerprint}"
    digest = hashlib.sha1(str(resolved).encode("utf-8")).hexdigest()[:8]
    return f"{set_name or resolved.name}-{digest}-index-{fingerprint}"


def stale_pattern(folder_name: str) -> str:
    """Glob matching the older versions of ``folder_name`` (other ingest fingerprints)."""
    return folder_name.rsplit("index-", 1)[0] + "index-*"
