"""Who said it: the group a reported finding is attributed to ("partners agreed that …").

Quotes get their speaker from the attribution line under them (see blocks.py); reported
findings name their source in the sentence itself, which this extracts as metadata so an
answer can say whose view it is and a UI can show it on the citation card.
"""

from __future__ import annotations

import re

_GROUPS = (
    r"(?:cultural |school |schools and skills |strategy |strategic |key |delivery |skills )?"
    r"(?:partners?|stakeholders?|interviewees?|tutors?|headteachers?|respondents?|"
    r"intermediaries|participants?|employers?|liveries|livery companies|schools|"
    r"focus groups?|the (?:local authority|board)|the education and learning partnership board)"
)
_QUANTIFIER = r"(?:all |many |most |some |few |several |a (?:small )?number of |one |other |the )?"
_VERBS = (
    r"(?:agreed|felt|said|say|argued|spoke|called|mentioned|showed|would like|held|saw|found|"
    r"reported|perceived|expressed|raised|suggested|stressed|noted|told|thought|believe[sd]?|"
    r"want(?:ed)?|highlighted|valued|welcomed|were (?:positive|interested|keen)|could talk)"
)
_FINDING = re.compile(
    rf"^(?:[-•*]\s*)?(?:[^,]{{0,60}},\s*)?(?P<who>{_QUANTIFIER}{_GROUPS})"
    rf"(?:,[^,]{{0,60}},)?\s+(?:{_VERBS})\b",
    re.IGNORECASE,
)


def attribution_of(sentence: str) -> str | None:
    """'In adult learning, partners agreed that …' -> 'Partners'; None when unattributed."""
    match = _FINDING.match(sentence.strip())
    if not match:
        return None
    who = " ".join(match.group("who").split())
    return who[:1].upper() + who[1:].lower()
