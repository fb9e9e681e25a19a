"""The web UI's handlers and rendering, without a browser.

These use ``fake_service`` with a copy of the seed corpus ingested (fake embeddings, under a
second); tests where the content of an answer matters use the real model, in
tests/integration/test_ui_handlers.py.
"""

from __future__ import annotations

import re
from html import escape, unescape

import pytest

from assistant.core.filters import SearchFilters
from assistant.core.models import Answer, Citation
from assistant.core.settings import PROJECT_ROOT
from ui import handlers, render, render_views, uploads

CORPUS = PROJECT_ROOT / "corpus"
APPRENTICESHIPS = "What did partners say about apprenticeships?"
NONSENSE = "zebra quantum spaceship"
COMPARED = [
    "city-of-london-mid-term-review",
    "kirklees-learning-strategy-scrutiny",
    "greater-manchester-education-skills",
]


@pytest.fixture
def library(fake_service):
    """The fake-embedding service with the seed corpus ingested."""
    fake_service.ingest_folder(CORPUS)
    return fake_service


def make_citation(n: int, text: str, sentence: str, **extra) -> Citation:
    start = text.index(sentence)
    return Citation(
        n=n,
        chunk_id=f"doc:abc:{n:04d}",
        doc_id="doc",
        title=f"Title {n} <b>",
        section="Part A > Findings",
        page=extra.pop("page", None),
        start=0,
        end=len(text),
        text=text,
        score=0.7,
        sentence_start=start,
        sentence_end=start + len(sentence),
        **extra,
    )


@pytest.fixture
def answer() -> Answer:
    first = make_citation(
        1,
        "Intro line.\nPartners said <skills> matter. Closing.",
        "Partners said <skills> matter.",
        speaker="School partner",
    )
    second = make_citation(2, "Budgets fell by 10%. Then rose.", "Then rose.", page=4)
    return Answer(
        question="What did partners say?",
        answer="The review found: Partners said <skills> matter. [1]\n\nBudgets then rose. [2] [9]",
        abstained=False,
        citations=[first, second],
    )


def mark_of(html: str) -> str:
    found = re.findall(r'<mark class="sa-support">(.*?)</mark>', html, re.S)
    assert len(found) == 1, html
    return unescape(found[0])


# -- rendering ---------------------------------------------------------------------------------
def test_answer_rendering_turns_each_reference_into_a_card_link(answer):
    html = render.answer_html(answer, "c3")
    assert html.count('href="#cite-c3-1"') == 2  # in the text and in the source list
    assert html.count('href="#cite-c3-2"') == 2
    assert "[9]" in html and "#cite-c3-9" not in html  # no card to link to
    assert "<skills>" not in html and "&lt;skills&gt;" in html  # document text is escaped
    assert "\n\n" not in html  # a raw HTML block: Markdown must not re-interpret it


def test_citation_card_highlights_exactly_the_supporting_sentence(answer):
    first, second = answer.citations
    card = render.citation_card(first, "c0")
    assert mark_of(card) == "Partners said <skills> matter."
    assert 'id="cite-c0-1"' in card and "Said by: School partner" in card
    assert "Part A &gt; Findings" in card
    assert f'data-open-chunk="{first.chunk_id}"' in card
    assert mark_of(render.citation_card(second, "c0")) == "Then rose."
    assert "p. 4" in render.citation_card(second, "c0")


def test_card_without_a_sentence_span_marks_nothing(answer):
    citation = answer.citations[0].model_copy(update={"sentence_start": None})
    assert "<mark" not in render.citation_card(citation, "c0")
    assert "<mark" not in render.highlight("abc", 2, 99)  # span outside the text


def test_real_answer_card_marks_its_sentence(library):
    answer = library.ask(APPRENTICESHIPS)
    assert answer.citations
    for citation in answer.citations:
        card = render.citation_card(citation, "c0")
        expected = citation.text[citation.sentence_start : citation.sentence_end]
        assert mark_of(card) == expected


def test_abstention_is_labelled_and_lists_the_closest_passages(library):
    answer = library.ask(NONSENSE)
    assert answer.abstained and answer.citations
    html = render.answer_html(answer, "c0")
    assert render.ABSTAIN_LABEL in html and 'class="sa-abstain" role="note"' in html
    assert "Closest passages" in html
    panel = render.citations_panel([answer])
    assert "closest passages" in panel
    assert panel.count('class="sa-card"') == len(answer.citations)
    assert f"**{render.ABSTAIN_LABEL}.**" in render.answer_markdown(answer)


def test_copy_as_markdown_keeps_the_citations(answer):
    markdown = render.answer_markdown(answer)
    assert "**Question:** What did partners say?" in markdown
    assert "Partners said <skills> matter. [1]" in markdown and "[2]" in markdown
    assert "1. *Title 1 <b>*, Part A > Findings — “Partners said <skills> matter.”" in markdown
    assert "2. *Title 2 <b>*, Part A > Findings · p. 4 — “Then rose.”" in markdown
    # The same Markdown rides along in the page for the copy button, escaped.
    panel = render.citations_panel([answer])
    stored = re.search(r'<textarea id="md-c0"[^>]*>(.*?)</textarea>', panel, re.S)
    assert stored and unescape(stored.group(1)) == markdown
    assert 'data-copy-md="md-c0"' in panel


def test_citations_panel_shows_newest_answer_first_and_open(answer):
    older = answer.model_copy(update={"question": "Older question?"})
    panel = render.citations_panel([older, answer])
    assert panel.index("Q2: What did partners say?") < panel.index("Q1: Older question?")
    assert panel.count('<details class="sa-turn" open>') == 1
    assert 'id="cite-c0-1"' in panel and 'id="cite-c1-1"' in panel


# -- chat --------------------------------------------------------------------------------------
def test_chat_streams_then_renders_the_cited_answer(library):
    updates = list(handlers.chat_stream(library, APPRENTICESHIPS, []))
    assert len(updates) >= 3 and updates[-1].done
    pending = updates[1].messages
    assert pending[0]["role"] == "user" and "sa-pending" in pending[1]["content"]
    final = updates[-1]
    assert len(final.answers) == 1 and [m["role"] for m in final.messages] == ["user", "assistant"]
    assert 'href="#cite-c0-1"' in final.messages[1]["content"]
    assert 'id="cite-c0-1"' in final.citations_html


def test_follow_up_questions_use_the_conversation(library):
    first = list(handlers.chat_stream(library, APPRENTICESHIPS, []))[-1]
    second = list(handlers.chat_stream(library, "what about adult learners?", first.answers))[-1]
    assert len(second.answers) == 2 and len(second.messages) == 4
    assert second.answers[1].rewritten_question == "What did partners say about adult learners?"
    turns = handlers.history_turns(first.answers)
    assert [t.role for t in turns] == ["user", "assistant"]
    assert turns[0].content == APPRENTICESHIPS


def test_empty_question_is_an_error_not_a_message(library):
    updates = list(handlers.chat_stream(library, "   ", []))
    assert len(updates) == 1 and "empty" in updates[0].error and updates[0].messages == []


# -- filters -----------------------------------------------------------------------------------
def test_filters_map_to_search_filters():
    filters = handlers.build_filters(
        ["kirklees-learning-strategy-scrutiny"],
        ["Kirklees"],
        None,
        ["scrutiny report"],
        " 2019 ",
        "",
    )
    assert filters == SearchFilters(
        doc_ids=["kirklees-learning-strategy-scrutiny"],
        places=["Kirklees"],
        kinds=["scrutiny report"],
        date_from="2019",
    )
    assert handlers.build_filters().is_empty()


def test_filters_limit_the_answer_and_are_summarised(library):
    filters = handlers.build_filters(places=["Kirklees"])
    final = list(handlers.chat_stream(library, APPRENTICESHIPS, [], filters))[-1]
    assert final.answers[0].citations
    assert {c.doc_id for c in final.answers[0].citations} == {"kirklees-learning-strategy-scrutiny"}
    assert handlers.filter_summary(library, filters).startswith("Searching 1 of 5 documents")
    assert handlers.filter_summary(library, SearchFilters()) == "Searching all 5 documents"
    assert "No document matches" in handlers.filter_summary(
        library, handlers.build_filters(places=["Mars"])
    )


def test_filter_choices_come_from_the_library(library):
    c = handlers.choices(library)
    assert len(c["documents"]) == 5
    assert (
        "Kirklees Learning Strategy scrutiny report",
        "kirklees-learning-strategy-scrutiny",
    ) in c["documents"]
    assert "Greater Manchester" in c["places"] and "review" in c["kinds"]
    assert "Kirklees Council" in c["organisations"]


# -- compare -----------------------------------------------------------------------------------
def test_compare_returns_one_cited_column_per_document(library):
    results, problem = handlers.compare(library, "How is adult learning treated?", COMPARED)
    assert problem is None and list(results) == COMPARED
    for doc_id, answer in results.items():
        assert answer.citations and {c.doc_id for c in answer.citations} == {doc_id}
    html = handlers.compare_html(library, "How is adult learning treated?", COMPARED)
    assert html.count('<section class="sa-col"') == 3
    for index, doc_id in enumerate(COMPARED):
        assert f'data-doc="{doc_id}"' in html and f'id="cite-k{index}-1"' in html


def test_compare_explains_what_to_fix(library):
    assert "at least two" in handlers.compare_html(library, "adult learning?", COMPARED[:1])
    assert "empty" in handlers.compare_html(library, " ", COMPARED)
    assert "Unknown document" in handlers.compare_html(library, "q?", [COMPARED[0], "nope"])


# -- feedback ----------------------------------------------------------------------------------
def test_feedback_is_stored(library):
    answers = list(handlers.chat_stream(library, APPRENTICESHIPS, []))[-1].answers
    assert handlers.record_feedback(library, answers, 1, True).startswith("Thanks")
    assert handlers.record_feedback(library, answers, 1, "Dislike")
    assert handlers.record_feedback(library, answers, 0, True) is None  # a user message
    assert handlers.record_feedback(library, answers, 3, True) is None  # no such answer
    records = library.feedback.list()
    assert [r.rating for r in records] == ["down", "up"]
    assert records[1].question == APPRENTICESHIPS and records[1].answer == answers[0].answer
    assert records[1].chunk_ids == [c.chunk_id for c in answers[0].citations]


# -- upload ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"\x00\x01\x02binary\x00" * 50, "data.txt", "looks binary"),
        (b"\x00\x01\x02binary\x00" * 50, "report.pdf", "not a PDF"),
        (b"Just some text, not a PDF at all.", "report.pdf", "not a PDF"),
        (b"PK\x03\x04 not really a zip", "notes.docx", "not a Word"),
        (b"plain words", "tool.exe", "unsupported file type"),
        (b"", "empty.txt", "empty"),
        (b"%PDF-1.4\ngarbage that is not a pdf", "broken.pdf", "broken.pdf"),
    ],
)
def test_a_bad_upload_gives_an_error_and_indexes_nothing(library, data, name, expected):
    before = library.store.registry.counts()
    result = uploads.upload_document(library, data, f"/tmp/gradio/{name}")
    assert not result.ok and expected in result.message and result.doc_id is None
    assert library.store.registry.counts() == before


def test_an_upload_is_searchable_straight_away(library):
    text = (
        b"# Wakefield Skills Plan\n\n## Priorities\n\n"
        b"The Wakefield plan commits to free bricklaying courses for adult learners in 2024.\n"
    )
    result = uploads.upload_document(library, text, "/tmp/x/wakefield-skills.md")
    assert result.ok and "Added" in result.message and result.doc_id
    assert result.doc_id in [d for _, d in handlers.choices(library)["documents"]]
    assert any(row[-1] == result.doc_id for row in handlers.library_rows(library))
    filters = handlers.build_filters([result.doc_id])
    answer = list(handlers.chat_stream(library, "bricklaying courses?", [], filters))[-1]
    assert answer.answers[0].citations[0].doc_id == result.doc_id
    again = uploads.upload_document(library, text, "wakefield-skills.md")
    assert again.ok and "already in the library" in again.message


def test_the_upload_policy_trusts_content_over_name():
    from assistant.application.upload_policy import upload_type

    assert upload_type(b"%PDF-1.7 ...", "scan.PDF") == ".pdf"
    assert upload_type(b"# Title\ntext", "notes.md") == ".md"
    assert upload_type(b"<html><body>x</body></html>", "page.txt") == ".html"
    assert upload_type(b"words", "no-extension") == ".txt"


# -- library and source viewer -----------------------------------------------------------------
def test_library_outline_and_recommendations(library):
    rows = handlers.library_rows(library)
    assert len(rows) == 5 and len(rows[0]) == len(handlers.LIBRARY_HEADERS)
    outline = handlers.document_outline(library, "city-of-london-mid-term-review")
    assert "Outline" in outline and "Programmes and impact" in outline
    assert outline.count("data-open-chunk=") >= 3
    assert "error" in handlers.document_outline(library, "missing-doc")
    recs = handlers.recommendations_html(library)
    passages = library.recommendations()
    assert passages and recs.count('class="sa-rec"') == len(passages)
    assert all(f'data-open-chunk="{p.chunk.chunk_id}"' in recs for p in passages)


def test_source_viewer_shows_the_passage_in_context(library):
    citation = library.ask(APPRENTICESHIPS).citations[0]
    span = f"{citation.sentence_start}-{citation.sentence_end}"
    html = handlers.open_passage(library, citation.chunk_id, span)
    view = library.passage(citation.chunk_id)
    assert mark_of(html) == citation.text[citation.sentence_start : citation.sentence_end]
    assert escape(view.context_before[-40:], quote=False) in html
    assert escape(view.context_after[:40], quote=False) in html
    assert 'id="sa-focus"' in html and escape(view.document.title, quote=False) in html
    if view.next_id:
        assert f'data-open-chunk="{view.next_id}"' in html
    assert "sa-msg-error" in handlers.open_passage(library, "no-such-chunk")
    assert "<mark" not in handlers.open_passage(library, citation.chunk_id, "bad")


def health(documents: int, chunks: int):
    from assistant.core.views import CacheStats, Health

    stats = CacheStats(size=0, entries=0, hits=0, misses=0)
    return Health(
        documents=documents,
        chunks=chunks,
        vectors=chunks,
        embedding_model="fake",
        query_encoder="fake",
        llm="none",
        answer_cache=stats,
    )


def test_header_counts_documents():
    assert "5 documents · 200 passages" in render_views.header(health(5, 200))


# -- the Gradio app ----------------------------------------------------------------------------
def test_mount_ui_serves_the_page(library):
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from ui.gradio_app import build_ui, mount_ui

    assert isinstance(build_ui(library), gr.Blocks)
    app = mount_ui(FastAPI(), library)
    with TestClient(app) as client:
        page = client.get("/ui/")
        assert page.status_code == 200 and "Strategy Assistant" in page.text
        assert client.get("/favicon.ico").headers["content-type"].startswith("image/svg")
