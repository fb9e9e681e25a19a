"""Saying "the documents don't say" plainly, and why: what the evidence lacked."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answering.answerability import Features
from assistant.core.text_match import specific_terms

_TYPE_NAMES = {
    "count": "figure",
    "amount": "amount",
    "percent": "percentage",
    "date": "date",
    "agent": "person or body",
}


@dataclass(frozen=True)
class Verdict:
    """The answerability judgement on one question's evidence."""

    answerable: bool
    probability: float
    features: Features
    wanted: str = "any"  # the answer type the question asks for
    # (question, result, scored sentences) the judgement was made on, so answering the same
    # question from the same result does not score every sentence again
    evidence: tuple | None = field(default=None, compare=False, repr=False)


def _names(terms) -> str:
    return ", ".join(f"“{term}”" for term in terms)


def abstain_text(
    has_passages: bool, verdict: Verdict | None, corpus_missing: list[str] | None
) -> str:
    """The abstention sentence: the most specific true reason we have."""
    if not has_passages:
        return "The documents don't say: nothing in the index matches this question."
    if corpus_missing:
        return (
            f"The documents don't say: they never mention {_names(corpus_missing)}, so they "
            "cannot answer this. The closest passages are listed below."
        )
    if verdict is not None and verdict.features.missing:
        return (
            "The documents don't say: the passages closest to this question don't mention "
            f"{_names(verdict.features.missing)}. They are listed below so you can check."
        )
    if verdict is not None and verdict.wanted in _TYPE_NAMES and _figure_elsewhere(verdict):
        names = _names(specific_terms(verdict.evidence[0]))
        return (
            f"The documents don't say: the closest passages give no {_TYPE_NAMES[verdict.wanted]}"
            f" about {names}. They are listed below so you can check."
        )
    if verdict is not None and not verdict.features.type_ok and verdict.wanted in _TYPE_NAMES:
        return (
            f"The documents don't say: the closest passages give no {_TYPE_NAMES[verdict.wanted]}"
            " that answers this. They are listed below so you can check."
        )
    return (
        "The documents don't say. None of the indexed passages answers this "
        "question; the closest passages are listed below so you can check."
    )


def _figure_elsewhere(verdict: Verdict) -> bool:
    """The evidence has the asked-for type, but only away from every name the question gives
    (somebody else's figure)."""
    feats = verdict.features
    return bool(feats.type_ok and not feats.typed_names and verdict.evidence)
