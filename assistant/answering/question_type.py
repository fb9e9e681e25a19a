"""What a question asks for: its answer type and its shape.

General rules of English questions, not of any corpus: "how many" wants a count, "how much"
an amount, "when" a date, "who" a person or body, "what are the …" a list; "compare X and Y"
wants one answer per named thing. Evidence without the asked-for type does not answer.
"""

from __future__ import annotations

import re
from enum import StrEnum


class AnswerType(StrEnum):
    COUNT = "count"
    AMOUNT = "amount"
    PERCENT = "percent"
    DATE = "date"
    PERSON = "person"  # only for shaping an answer (see wants_person), never for abstaining
    AGENT = "agent"
    ANY = "any"


class Shape(StrEnum):
    LIST = "list"
    COMPARE = "compare"
    PLAIN = "plain"


_TYPE_RULES: list[tuple[AnswerType, re.Pattern[str]]] = [
    (
        AnswerType.PERCENT,
        re.compile(r"\b(what|which)\s+(percentage|proportion|share|rate)\b|\bper ?cent\b", re.I),
    ),
    (
        AnswerType.AMOUNT,
        re.compile(
            r"\bhow much\b|\bwhat\s+(is|was|were|are)\s+(the\s+)?(\w+\s+){0,3}?"
            r"(budget|cost|costs|price|value|funding|amount|spend|spending|salary|fee|fees)\b",
            re.I,
        ),
    ),
    (AnswerType.COUNT, re.compile(r"\bhow many\b|\b(what|which) (is|was) the number of\b", re.I)),
    (
        AnswerType.DATE,
        re.compile(r"^\s*when\b|\b(what|which) (year|date|month)\b|\bin what year\b", re.I),
    ),
    (AnswerType.AGENT, re.compile(r"^\s*(who|whom|whose)\b|\bwhich (person|organisation)\b", re.I)),
]

_LIST_NOUNS = (
    r"(recommendations|phases|principles|themes|priorities|aims|objectives|options|actions|"
    r"steps|stages|areas|goals|pillars|outcomes|strands|proposals|findings|challenges|"
    r"barriers|risks|benefits|commitments|ambitions|targets|strengths|weaknesses|problems)"
)
# "what are the phases of …", "list the …"
_LIST = re.compile(
    rf"^\s*(what|which)\s+(are|were)\s+(the\s+)?(\w+\s+){{0,4}}?{_LIST_NOUNS}\b|^\s*list\b",
    re.I,
)
# "what themes did the review suggest …", "which key risks does the report name …"
_LIST_ASKED = re.compile(
    rf"^\s*(what|which)\s+(\w+\s+){{0,2}}?{_LIST_NOUNS}(\s+of\s+\w+)?\s+"
    r"(did|do|does|would|will|should|could|has|have|had|were|are)\b",
    re.I,
)
_COMPARE = re.compile(r"\b(compare|comparison|contrast|differ|difference|versus|vs\.?)\b", re.I)

_YEAR = re.compile(r"\b(1[89]|20)\d\d([/–-]\d\d(\d\d)?)?\b")
_MONTH = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{4}\b|"
    r"\b\d{1,2}(st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b",
    re.I,
)
_MONEY = re.compile(
    r"[£$€]\s?\d|\b\d[\d,.]*\s?(k|m|bn|million|billion|thousand|pounds|euros|dollars)\b", re.I
)
# "how much" asks for money when the question is about money; otherwise for a quantity
# ("how much of the flow …": "one ninth", "twice the thrust", "40,000 pounds")
_MONEY_QUESTION = re.compile(
    r"\b(money|cost\w*|pay|paid|pays|spend|spent|spending|budget\w*|fund\w*|"
    r"price\w*|fee|fees|worth|value|salary|salaries|grant|grants|invest\w*|income|revenue|"
    r"allocat\w*)\b",
    re.I,
)
_SHARE_WORDS = re.compile(
    r"\b(half|halves|third|thirds|quarter|quarters|fifth|tenth|ninth|twice|double|triple|"
    r"times)\b",
    re.I,
)
_PERCENT = re.compile(r"\d\s?%|\bper ?cent\b|\bpercent\b", re.I)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|dozen|dozens"
)
_COUNT = re.compile(rf"\b\d[\d,]*\b|\b({_NUMBER_WORDS})\b", re.I)
# numbers that label rather than count: a list item's "2." or "(3)", a section's "3.2"
_ENUMERATOR = re.compile(r"^\s*(\(?\d{1,2}[.)]|\d{1,2}(\.\d{1,2})+)\s")
_AGENT_ROLE = re.compile(
    r"\b(councillor|cllr|mr|mrs|ms|dr|professor|sir|dame|chair|chaired|director|leader|"
    r"officer|officers|minister|mayor|manager|member|members|board|committee|council|cabinet|"
    r"trust|partnership|university|college|company|authority|agency|department|team|panel|"
    r"partners|stakeholders|intermediaries|respondents|employers|providers|residents|"
    r"organisations|schools|headteachers|tutors|learners|students|pupils|parents)\b",
    re.I,
)
_PROPER_NAME = re.compile(r"(?<=\w\s)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")
# "who chaired …", "who wrote …", "who is the director of …": a named individual
_PERSON_QUESTION = re.compile(
    r"^\s*who\b(?=.*\b(chair|chairs|chaired|chairing|chairman|chairwoman|leads|led|heads|"
    r"headed|appointed|wrote|written|authored|founded|director|head|leader|chief executive|"
    r"mayor|minister|author|authors|founder|president|contact officer)\b)",
    re.I,
)
# a person: a title and a name ("Cllr Shah", "Dr A. Jones"), or a first and last name
_TITLED = re.compile(
    r"\b(Cllr|Councillor|Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Sir|Dame|Lord|Lady|Baroness)\.?\s+"
    r"([A-Z][\w'’-]+|[A-Z]\.)"
)
_FULL_NAME = re.compile(r"\b([A-Z][a-z]+)\s+(?:[A-Z]\.\s+)?([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
_NOT_A_NAME = re.compile(
    r"^(Council|Trust|Board|Committee|Partnership|Authority|University|College|School|Schools|"
    r"Academy|Academies|Company|Group|Service|Services|Strategy|Report|Review|Plan|City|County|"
    r"Borough|Government|Department|Agency|Centre|Center|Foundation|Network|Forum|Panel|"
    r"Team|Unit|Office|Skills|Education|Learning|Training|Programme|Project|Fund|Area|Areas|"
    r"North|South|East|West)$"
)
# a capitalised word right before or after a pair ("A New Approach", "Manchester: Building
# Capacity for", "Greater Manchester Combined Authority"): the pair is part of a title or an
# organisation's name, not a person's
_CAPITALISED_BEFORE = re.compile(r"[A-Z][\w'’-]*[:,]?\s+$")
_CAPITALISED_AFTER = re.compile(r"^\s+[A-Z]")


def answer_type(question: str) -> AnswerType:
    for kind, pattern in _TYPE_RULES:
        if pattern.search(question):
            return kind
    return AnswerType.ANY


def wants_person(question: str) -> bool:
    """The question asks for a named individual ("who chaired …", "who wrote …")."""
    return bool(_PERSON_QUESTION.search(question))


def list_noun(question: str) -> str | None:
    """The thing a list question asks for, singular: "what are the phases …" -> "phase"."""
    match = _LIST.search(question)
    noun = match.group(5) if match else None
    if noun is None and (asked := _LIST_ASKED.search(question)):
        noun = asked.group(3)
    if noun is None:
        return None
    noun = noun.casefold()
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    return noun[:-1] if noun.endswith("s") else noun


def shape(question: str) -> Shape:
    if _COMPARE.search(question):
        return Shape.COMPARE
    if _LIST.search(question) or _LIST_ASKED.search(question):
        return Shape.LIST
    return Shape.PLAIN


def has_type(text: str, kind: AnswerType, question: str = "") -> bool:
    """Whether ``text`` holds an answer of ``kind`` (a count that is not just a year, a person
    or body the question does not already name, …)."""
    if kind is AnswerType.ANY:
        return True
    if kind is AnswerType.PERCENT:
        return bool(_PERCENT.search(text))
    if kind is AnswerType.AMOUNT:
        if _MONEY.search(text) or _PERCENT.search(text):
            return True
        return not _MONEY_QUESTION.search(question) and (
            _counts(text, question) or bool(_SHARE_WORDS.search(text))
        )
    if kind is AnswerType.DATE:
        return bool(_YEAR.search(text) or _MONTH.search(text))
    if kind is AnswerType.COUNT:
        return _counts(text, question)
    asked = question.casefold()
    if kind is AnswerType.PERSON:
        return _names_a_person(text, asked)
    found = [m.group(0) for m in _AGENT_ROLE.finditer(text)]
    found += [m.group(0) for m in _PROPER_NAME.finditer(text)]
    return any(name.casefold() not in asked for name in found)


def _counts(text: str, question: str) -> bool:
    """A number that could be the count asked for: not a year, not a list item's or section's
    label, and not one the question itself gives ("in 2004", "of the 12 schools")."""
    given = {m.group(0).casefold() for m in _COUNT.finditer(question)}
    plain = _YEAR.sub(" ", _ENUMERATOR.sub(" ", text))
    return any(m.group(0).casefold() not in given for m in _COUNT.finditer(plain))


def _names_a_person(text: str, asked: str) -> bool:
    """A person the question does not already name: a title and a name, or a first and last
    name that is not an organisation's ("Learning Partnership") and not the opening words."""
    if any(m.group(0).casefold() not in asked for m in _TITLED.finditer(text)):
        return True
    opening = len(text) - len(text.lstrip())
    for match in _FULL_NAME.finditer(text):
        if match.start() == opening or match.group(0).casefold() in asked:
            continue
        before, after = text[: match.start()], text[match.end() :]
        if _CAPITALISED_BEFORE.search(before) or _CAPITALISED_AFTER.match(after):
            continue
        if not (_NOT_A_NAME.match(match.group(1)) or _NOT_A_NAME.match(match.group(2))):
            return True
    return False
