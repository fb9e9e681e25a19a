"""Handler logic of the web UI as plain functions over ``AssistantService``.

No Gradio here: every function takes and returns plain values (strings, lists, models), so the
behaviour behind each control is unit-tested without a browser and ``ui/gradio_app.py`` only
wires components to these functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from assistant.application.feedback_store import FeedbackIn
from assistant.application.service import AssistantService
from assistant.core.errors import NotFoundError, QuestionError
from assistant.core.filters import SearchFilters
from assistant.core.models import Answer, Turn
from ui import render, render_views

MAX_TURN_CHARS = 20000  # Turn.content limit


# -- filters -----------------------------------------------------------------------------------
def build_filters(
    doc_ids: list[str] | None = None,
    places: list[str] | None = None,
    organisations: list[str] | None = None,
    kinds: list[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> SearchFilters:
    """The filter controls' values as the service's ``SearchFilters`` (blank means any)."""
    return SearchFilters(
        doc_ids=list(doc_ids or []),
        places=list(places or []),
        organisations=list(organisations or []),
        kinds=list(kinds or []),
        date_from=(date_from or "").strip() or None,
        date_to=(date_to or "").strip() or None,
    )


def filter_summary(service: AssistantService, filters: SearchFilters) -> str:
    """One line saying which documents a question will search, shown on the filter panel."""
    documents = service.documents()
    if filters.is_empty():
        return f"Searching all {len(documents)} documents"
    matching = [d for d in documents if filters.accepts(d.meta)]
    if not matching:
        return "No document matches these filters: clear one to get answers"
    names = ", ".join(d.meta.display_name for d in matching[:3])
    more = f" and {len(matching) - 3} more" if len(matching) > 3 else ""
    return f"Searching {len(matching)} of {len(documents)} documents: {names}{more}"


def choices(service: AssistantService) -> dict[str, list]:
    """Choices for every document/place/organisation/kind control, from the live library."""
    metas = [d.meta for d in service.documents()]
    metas.sort(key=lambda m: m.display_name.casefold())

    def distinct(values: list[str | None]) -> list[str]:
        return sorted({v for v in values if v}, key=str.casefold)

    return {
        "documents": [(m.display_name, m.doc_id) for m in metas],
        "places": distinct([m.place for m in metas]),
        "organisations": distinct([m.organisation for m in metas]),
        "kinds": distinct([m.kind for m in metas]),
    }


# -- chat --------------------------------------------------------------------------------------
def history_turns(answers: list[Answer]) -> list[Turn]:
    """The conversation so far as ``Turn``s, so follow-up questions are read in context."""
    turns: list[Turn] = []
    for answer in answers:
        turns.append(Turn(role="user", content=answer.question[:MAX_TURN_CHARS]))
        turns.append(Turn(role="assistant", content=answer.answer[:MAX_TURN_CHARS]))
    return turns


def chat_messages(answers: list[Answer], pending: tuple[str, str] | None = None) -> list[dict]:
    """Chatbot messages rebuilt from the answers, so message 2i+1 always is answer i."""
    messages: list[dict] = []
    for index, answer in enumerate(answers):
        messages.append({"role": "user", "content": render.question_html(answer.question)})
        messages.append({"role": "assistant", "content": render.answer_html(answer, f"c{index}")})
    if pending is not None:
        question, partial = pending
        messages.append({"role": "user", "content": render.question_html(question)})
        messages.append({"role": "assistant", "content": render.pending_html(partial)})
    return messages


@dataclass
class ChatUpdate:
    """One step of a streamed answer: what the chat, the citations panel and state show."""

    answers: list[Answer]
    messages: list[dict]
    citations_html: str
    error: str | None = None
    done: bool = False


def chat_stream(
    service: AssistantService,
    question: str,
    answers: list[Answer],
    filters: SearchFilters | None = None,
    top_k: int | None = None,
) -> Iterator[ChatUpdate]:
    """Stream an answer: partial text as it arrives, then the cited answer and its cards."""
    try:
        question = service.check_question(question)
    except QuestionError as exc:
        yield ChatUpdate(answers, chat_messages(answers), render.citations_panel(answers), str(exc))
        return
    panel = render.citations_panel(answers)
    yield ChatUpdate(answers, chat_messages(answers, (question, "")), panel)
    partial = ""
    try:
        for piece in service.ask_stream(question, history_turns(answers), filters, top_k):
            if isinstance(piece, Answer):
                updated = [*answers, piece]
                yield ChatUpdate(
                    updated, chat_messages(updated), render.citations_panel(updated), done=True
                )
                return
            partial += piece
            yield ChatUpdate(answers, chat_messages(answers, (question, partial)), panel)
    except QuestionError as exc:
        yield ChatUpdate(answers, chat_messages(answers), panel, str(exc))


def record_feedback(
    service: AssistantService, answers: list[Answer], message_index: int, liked: bool | str | None
) -> str | None:
    """Store a thumbs up/down on the answer at chat message ``message_index``.

    Returns a confirmation, or None when there is nothing to store (a user message, an
    un-like, an index from a conversation that has since been cleared).
    """
    if isinstance(message_index, (list, tuple)):
        message_index = message_index[0]
    rating = {True: "up", "Like": "up", False: "down", "Dislike": "down"}.get(liked)  # type: ignore[arg-type]
    turn, is_user = divmod(int(message_index), 2)
    if rating is None or is_user == 0 or turn >= len(answers):
        return None
    answer = answers[turn]
    service.feedback.add(
        FeedbackIn(
            rating=rating,
            question=answer.question,
            answer=answer.answer,
            chunk_ids=[c.chunk_id for c in answer.citations][:100],
        )
    )
    return "Thanks: feedback saved." if rating == "up" else "Thanks: we'll look at this answer."


# -- source viewer -----------------------------------------------------------------------------
def open_passage(service: AssistantService, chunk_id: str, span: str | None = None) -> str:
    """The source viewer's HTML for a passage; ``span`` ("start-end") marks a sentence in it."""
    try:
        view = service.passage(chunk_id)
    except NotFoundError as exc:
        return render.message(
            f"{exc} It may have been re-indexed: ask the question again.", "error"
        )
    parsed: tuple[int, int] | None = None
    if span:
        try:
            start, end = (int(x) for x in span.split("-", 1))
            parsed = (start, end)
        except ValueError:
            parsed = None
    return render_views.source_view(view, parsed)


# -- library -----------------------------------------------------------------------------------
LIBRARY_HEADERS = ["Title", "Organisation", "Place", "Date", "Kind", "Passages", "Added", "Id"]


def library_rows(service: AssistantService) -> list[list]:
    """One row of metadata per document, for the library table."""
    rows = []
    for d in sorted(service.documents(), key=lambda d: d.meta.display_name.casefold()):
        m = d.meta
        rows.append(
            [
                m.title,
                m.organisation or "",
                m.place or "",
                m.date or "",
                m.kind or "",
                d.chunk_count,
                d.ingested_at[:10],
                m.doc_id,
            ]
        )
    return rows


def document_outline(service: AssistantService, doc_id: str | None) -> str:
    if not doc_id:
        return '<p class="sa-empty">Choose a document to see its outline.</p>'
    try:
        return render_views.document_detail(service.document(doc_id))
    except NotFoundError as exc:
        return render.message(str(exc), "error")


METADATA_FIELDS = ("title", "short_name", "organisation", "place", "date", "kind", "summary")


def metadata_values(service: AssistantService, doc_id: str | None) -> tuple[list[str], str]:
    """The edit form's values for ``doc_id`` and a line saying where each field came from."""
    if not doc_id:
        return [""] * len(METADATA_FIELDS), ""
    try:
        meta = service.document(doc_id).meta
    except NotFoundError as exc:
        return [""] * len(METADATA_FIELDS), str(exc)
    how = meta.extra.get("provenance", {})
    values = [getattr(meta, name) or "" for name in METADATA_FIELDS]
    origin = ", ".join(f"{name}: {how[name]}" for name in METADATA_FIELDS if name in how)
    return values, f"Where each value came from: {origin or 'the file name'}."


def save_metadata(
    service: AssistantService, doc_id: str | None, values: list[str]
) -> tuple[str, bool]:
    """Store the fields the user changed (a cleared field undoes its edit); a message and
    whether it was saved."""
    if not doc_id:
        return "Choose a document to edit.", False
    current, _ = metadata_values(service, doc_id)
    changes = {
        name: (value or "").strip() or None
        for name, value, before in zip(METADATA_FIELDS, values, current, strict=True)
        if (value or "").strip() != (before or "").strip()
    }
    if not changes:
        return "Nothing changed.", False
    try:
        service.edit_document(doc_id, changes)
    except (NotFoundError, ValueError) as exc:
        return str(exc), False
    return f"Saved {', '.join(changes)} for {doc_id}: used from the next question on.", True


def recommendations_html(service: AssistantService) -> str:
    return render_views.recommendations(service.recommendations())


# -- compare -----------------------------------------------------------------------------------
MAX_COMPARE = 6


def compare(
    service: AssistantService, question: str, doc_ids: list[str] | None, top_k: int | None = None
) -> tuple[dict[str, Answer] | None, str | None]:
    """The same question asked of each chosen document; or None and what to fix."""
    doc_ids = list(dict.fromkeys(doc_ids or []))
    if len(doc_ids) < 2:
        return None, "Choose at least two documents to compare."
    if len(doc_ids) > MAX_COMPARE:
        return None, f"Choose at most {MAX_COMPARE} documents so the answers fit side by side."
    try:
        return service.compare(question, doc_ids, top_k), None
    except (QuestionError, NotFoundError) as exc:
        return None, str(exc)


def compare_html(
    service: AssistantService, question: str, doc_ids: list[str] | None, top_k: int | None = None
) -> str:
    results, problem = compare(service, question, doc_ids, top_k)
    if results is None:
        return render.message(problem or "Nothing to compare.", "error")
    metas = {d.meta.doc_id: d.meta for d in service.documents()}
    return render_views.compare_columns(results, metas)
