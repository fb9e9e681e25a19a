"""What a question request must be before anything is retrieved for it, with errors that say
what to send instead."""

from __future__ import annotations

from collections.abc import Callable

from assistant.core.errors import QuestionError
from assistant.core.filters import SearchFilters, check_filters, unicode_problem
from assistant.core.models import DocumentMeta, Turn


def checked_question(question: str, max_chars: int) -> str:
    """The question stripped; ``QuestionError`` if it is not valid Unicode, empty, or longer
    than ``max_chars``."""
    problem = unicode_problem(question or "")
    if problem:
        raise QuestionError(
            f"The question is not valid Unicode ({problem}); send it as UTF-8 text."
        )
    cleaned = (question or "").strip()
    if not cleaned:
        raise QuestionError("The question is empty: type a question about the documents.")
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"The question is {len(cleaned)} characters; the limit is "
            f"{max_chars}. Shorten it to the part you need answered."
        )
    return cleaned


def checked_request(
    question: str,
    history: list[Turn] | None,
    filters: SearchFilters | None,
    max_chars: int,
    document_metas: Callable[[], dict[str, DocumentMeta]],
) -> str:
    """The cleaned question; ``QuestionError`` (``FilterError`` for filters) if the question,
    a history turn or a filter cannot be used as sent (the filters are checked against
    ``document_metas()``, read only when there are filters)."""
    cleaned = checked_question(question, max_chars)
    for index, turn in enumerate(history or []):
        problem = unicode_problem(turn.content)
        if problem:
            raise QuestionError(
                f"history[{index}].content is not valid Unicode ({problem}); send it as UTF-8 text."
            )
    if filters is not None:
        check_filters(filters, document_metas())
    return cleaned
