"""Who said it: the group a reported finding is attributed to ("partners agreed that …").

Quotes get their speaker from the attribution line under them (see blocks.py); reported
findings name their source in the sentence itself, which this extracts as metadata so an
answer can say whose view it is and a UI can show it on the citation card.

The groups ("partners", "tutors", "the board") and their qualifiers ("cultural", "school")
are data — the corpus profile (assistant/core/data/corpus_profile.yaml, extended by a corpus
folder's profile.yaml) — so a deployment names its own bodies without touching code. The
grammar (quantifiers, reporting verbs) is English, and lives here.
"""

from __future__ import annotations

import hashlib
import re

from assistant.core.profile import CorpusProfile, load_profile

_QUANTIFIER = r"(?:all |many |most |some |few |several |a (?:small )?number of |one |other |the )?"
_VERBS = (
    r"(?:agreed|felt|said|say|argued|spoke|called|mentioned|showed|would like|held|saw|found|"
    r"reported|perceived|expressed|raised|suggested|stressed|noted|told|thought|believe[sd]?|"
    r"want(?:ed)?|highlighted|valued|welcomed|were (?:positive|interested|keen)|could talk)"
)


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len)[::-1])


class Attribution:
    """Finds the group a sentence reports the view of, from a profile's groups.

    It keeps the profile it was made from: the pipeline is handed one ``Attribution`` built from
    the deployment's profile, and the chunker reads the rest of that profile's ingest wording
    (quote speakers' roles, markup) from it. ``signature`` covers all of that wording, so an
    edit to any of it re-chunks every document at the next ingest.
    """

    def __init__(
        self,
        qualifiers: tuple[str, ...],
        groups: tuple[str, ...],
        profile: CorpusProfile | None = None,
    ) -> None:
        if not groups:
            raise ValueError("the corpus profile lists no attribution groups")
        qualifier = rf"(?:(?:{_alternatives(qualifiers)})\s+)?" if qualifiers else ""
        who = rf"{_QUANTIFIER}{qualifier}(?:{_alternatives(groups)})"
        self._finding = re.compile(
            rf"^(?:[-•*]\s*)?(?:[^,]{{0,60}},\s*)?(?P<who>{who})"
            rf"(?:,[^,]{{0,60}},)?\s+(?:{_VERBS})\b",
            re.IGNORECASE,
        )
        self.profile = profile if profile is not None else load_profile()
        groups_hash = hashlib.sha256(
            "|".join([*sorted(qualifiers), "/", *sorted(groups)]).encode()
        ).hexdigest()[:8]
        self.signature = f"{groups_hash}-{self.profile.ingest_signature()}"

    @classmethod
    def from_profile(cls, profile: CorpusProfile) -> Attribution:
        return cls(profile.qualifiers, profile.groups, profile)

    def of(self, sentence: str) -> str | None:
        """'In adult learning, partners agreed that …' -> 'Partners'; None when unattributed."""
        match = self._finding.match(sentence.strip())
        if not match:
            return None
        who = " ".join(match.group("who").split())
        return who[:1].upper() + who[1:].lower()


def default_attribution() -> Attribution:
    """The groups of the default profile alone (no deployment's additions)."""
    return Attribution.from_profile(load_profile())


def attribution_of(sentence: str) -> str | None:
    return default_attribution().of(sentence)
