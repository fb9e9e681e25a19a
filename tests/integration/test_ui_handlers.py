"""The web UI's handlers on the real model (``corpus_service``): where the answer matters."""

from __future__ import annotations

import re
from html import unescape

import pytest

from ui import handlers, render

pytestmark = pytest.mark.integration
APPRENTICESHIPS = "What did partners say about apprenticeships?"
COMPARED = [
    "city-of-london-mid-term-review",
    "kirklees-learning-strategy-scrutiny",
    "greater-manchester-education-skills",
]


def mark_of(html: str) -> str:
    found = re.findall(r'<mark class="sa-support">(.*?)</mark>', html, re.S)
    assert len(found) == 1, html
    return unescape(found[0])


def test_real_answer_about_apprenticeships_is_cited_and_highlighted(corpus_service):
    final = list(handlers.chat_stream(corpus_service, APPRENTICESHIPS, []))[-1]
    answer = final.answers[0]
    assert not answer.abstained
    assert "apprenticeships offer had improved significantly" in mark_of(
        render.citation_card(answer.citations[0], "c0")
    )
    assert "apprenticeships" in render.answer_markdown(answer)


def test_real_compare_of_adult_learning(corpus_service):
    results, problem = handlers.compare(corpus_service, "How is adult learning treated?", COMPARED)
    assert problem is None
    answered = [d for d, a in results.items() if not a.abstained and a.citations]
    assert len(answered) >= 2, {d: a.answer for d, a in results.items()}
