"""A document's own names (its council, its title) are true of every sentence in it: they
rank its sentences above another place's, but do not pick one of its sentences over another."""

from __future__ import annotations

import numpy as np

from assistant.answering.evidence import evidence_sentences
from assistant.core.models import DocumentMeta, Passage, RetrievalResult
from tests.passages import make_passage


def _passage(doc_id: str, text: str, organisation: str) -> Passage:
    meta = DocumentMeta(doc_id=doc_id, title="Skills review", organisation=organisation)
    return make_passage(text, meta, f"{doc_id}:c")


def test_the_answer_outranks_a_sentence_that_only_repeats_the_documents_name():
    question = "What did Northshire Council find about apprenticeships?"
    ours = _passage(
        "d1",
        "Northshire Council met in the town hall. Apprenticeships improved.",
        "Northshire Council",
    )
    theirs = _passage("d2", "Apprenticeships improved here too.", "Southvale Council")
    result = RetrievalResult([ours, theirs], np.zeros(3), {}, {})  # no vectors: words decide
    scored = evidence_sentences(question, result)
    texts = [result.passages[s.passage_index].chunk.text[s.span[0] : s.span[1]] for s in scored]
    assert texts[0] == "Apprenticeships improved."  # the finding, in the place asked
    assert texts.index("Apprenticeships improved here too.") > 0  # another place's ranks below
    assert scored[0].given > 0  # the name's share is kept apart: it is no evidence of an answer


def test_a_byline_is_not_marked_down_as_a_heading_when_the_question_asks_who_wrote_it():
    byline = _passage("d1", "Ruth Lupton and Lorna Unwin, November 2018", "Northshire Council")
    result = RetrievalResult([byline], np.zeros(3), {}, {})
    who = evidence_sentences("Who wrote the paper, and when?", result)[0].score
    what = evidence_sentences("What does the paper say, and when?", result)[0].score
    assert who > what  # the same line: a heading for one question, the answer to the other


def test_a_markdown_heading_left_in_a_pages_text_is_never_quoted():
    from assistant.answering.evidence import is_fragment

    page = _passage("d1", "## Contact the skills team\nPhone the team on 0100 000 0000.", "X")
    result = RetrievalResult([page], np.zeros(3), {}, {})
    scored = evidence_sentences("How do I contact the skills team?", result)
    heading = next(s for s in scored if s.sentence_index == 0)
    assert is_fragment(page, heading)
    assert not is_fragment(page, next(s for s in scored if s.sentence_index == 1))
