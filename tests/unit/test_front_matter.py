"""Who wrote a document: its byline or its credits section, never its title or findings."""

from __future__ import annotations

from assistant.answering.front_matter import asks_authorship, byline_items, is_byline
from assistant.core.models import DocumentMeta, Passage
from tests.passages import make_passage

META = DocumentMeta(doc_id="d1", title="Adult Learning in Northshire", organisation="Northshire")


def _doc(*texts: str) -> list[Passage]:
    return [make_passage(text, META, ordinal=ordinal) for ordinal, text in enumerate(texts)]


def _quoted(question: str, passages: list[Passage]) -> list[str]:
    return [p.chunk.text[a:b] for p, (a, b), _ in byline_items(question, passages)]


def test_authorship_questions_are_told_from_others():
    assert asks_authorship("Who wrote the Northshire adult learning review?")
    assert asks_authorship("When was the skills strategy published?")
    assert not asks_authorship("Who leads adult learning in Northshire?")


def test_the_byline_answers_and_the_title_does_not():
    doc = _doc(
        "Adult Learning in Northshire: A Review for the Cabinet",
        "Priya Shah and Tom Okafor, March 2024",
        "Learners in Northshire said evening classes were hard to reach.",
    )
    assert _quoted("Who wrote the Northshire review?", doc) == [
        "Priya Shah and Tom Okafor, March 2024"
    ]


def test_a_council_reports_contact_officer_section_names_its_author():
    doc = _doc(
        "Purpose of report: an update on adult learning.",
        "Officers propose three pilots.",
        "The Cabinet is asked to note the update.",
        "## 9.\nContact officer\nSam Rivers – Head of Adult Learning\n## 10.\nBackground papers",
    )
    assert _quoted("Who wrote the Northshire report?", doc) == [
        "Sam Rivers – Head of Adult Learning"
    ]


def test_no_byline_means_no_answer_from_front_matter():
    doc = _doc("Key Decision - Is it likely to result in spending £250k or more?: No")
    assert not is_byline(doc[0].chunk.text)
    assert _quoted("Who wrote the Northshire report?", doc) == []


def test_a_credit_line_anywhere_answers_a_contact_question():
    doc = _doc(
        "Purpose: an update on the culture strategy.",
        "Attendance rose by a tenth.",
        "Museums opened late on Fridays.",
        "Background reading: the 2023 strategy.\nContact: Lindsay Forbes, Culture Strategy Manager",
    )
    question = "Who is the contact officer for the Northshire culture review?"
    assert asks_authorship(question)
    assert _quoted(question, doc) == ["Contact: Lindsay Forbes, Culture Strategy Manager"]
