"""A numbered item the question names ("phase 2", "option C") is found by its label, with
what follows it; sequences match a paragraph number before the label and lettered items."""

from __future__ import annotations

from assistant.answering.named_items import item_sentences, named_item
from assistant.answering.shaping import sequence_items
from assistant.core.models import DocumentMeta, Passage
from tests.passages import make_passage

META = DocumentMeta(doc_id="d1", title="Northshire skills plan", organisation="Northshire")


def _doc(*chunks: tuple[str, list[str]]) -> list[Passage]:
    return [
        make_passage(text, META, ordinal=ordinal, section_path=section)
        for ordinal, (text, section) in enumerate(chunks)
    ]


def test_the_question_names_an_item_by_kind_and_number_or_letter():
    assert named_item("What happens in Phase 2 of the plan?") == ("phase", "2")
    assert named_item("What is option C in the study?") == ("option", "c")
    assert named_item("What does priority three say?") == ("priority", "3")
    assert named_item("What are the phases of the plan?") is None
    assert named_item("What is recommendation 3?") is None  # looked up by the retriever


def test_an_item_brings_its_list_up_to_the_next_item():
    doc = _doc(
        ("Phase 1: Foundations (2025)\n- Set up the board\nPhase 2: Growth (2026)\n"
         "- Open the care academy\n- Extend library courses\nPhase 3: Review (2028)", []),
    )  # fmt: skip
    passage, indices, heading = item_sentences("phase", "2", doc)
    quoted = [passage.chunk.sentence(i) for i in indices]
    assert quoted == [
        "Phase 2: Growth (2026)",
        "- Open the care academy",
        "- Extend library courses",
    ]
    assert heading is None


def test_lettered_options_after_a_paragraph_number_take_their_gloss():
    doc = _doc(
        ("3.1 Option A: Do nothing. Residents keep the online library.\n"
         "3.2 Option B: A mobile library. One van visits 60 stops.", []),
    )  # fmt: skip
    items = sequence_items("option", doc)
    texts = [p.chunk.text[a:b] for p, (a, b), _ in items]
    assert texts == [
        "3.1 Option A: Do nothing. Residents keep the online library.",
        "3.2 Option B: A mobile library. One van visits 60 stops.",
    ]


def test_an_item_that_is_a_heading_is_quoted_with_the_passage_under_it():
    doc = _doc(("Officers will recruit a steering group. It meets monthly.", ["Phase 1: Vision"]))
    passage, indices, heading = item_sentences("phase", "1", doc)
    assert heading == "Phase 1: Vision"
    assert [passage.chunk.sentence(i) for i in indices][0].startswith("Officers will recruit")
