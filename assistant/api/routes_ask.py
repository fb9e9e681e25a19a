"""Questions: ask (JSON and server-sent events), search, compare."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from assistant.api.deps import get_service
from assistant.api.errors import ApiError, error_body
from assistant.api.schemas import (
    ERROR_RESPONSES,
    NOT_FOUND,
    AskRequest,
    CompareRequest,
    CompareResponse,
    SearchResponse,
)
from assistant.api.sse import SSE_HEADERS, SSE_MEDIA_TYPE, sse_event
from assistant.application.service import AssistantService
from assistant.core.errors import FilterError, IndexUnavailable, NotFoundError, QuestionError
from assistant.core.filters import SearchFilters
from assistant.core.models import Answer

logger = logging.getLogger("assistant.api")
router = APIRouter(prefix="/api/v1", tags=["questions"], responses=ERROR_RESPONSES)
Service = Annotated[AssistantService, Depends(get_service)]

STREAM_DESCRIPTION = """Server-sent events: `event: delta` with `{"text": ...}` pieces of the
answer as they are produced, then one `event: answer` with the full answer object (the same as
`POST /api/v1/ask` returns), then `event: done`. An error after the stream has started is sent as
`event: error` with `{"error": {"code", "message"}}`, followed by `event: done`. Invalid requests
(empty, too long or invalid-Unicode question, unusable filters) are rejected with a JSON 422, and
an unavailable vector index with a JSON 503 and `Retry-After`, before the stream starts."""
SEARCH_PARAMETERS = ("q", "k", "doc", "place", "organisation", "kind", "date_from", "date_to")


def _server_timing(answer: Answer) -> str:
    return ", ".join(
        f"{name.removesuffix('_ms')};dur={value}"
        for name, value in answer.timings.items()
        if name.endswith("_ms")
    )


@router.post("/ask", response_model=Answer, summary="Answer a question with citations")
def ask(body: AskRequest, service: Service) -> Response:
    """The cited answer object (as `strategy-assistant ask --json` prints), with `timings`."""
    answer = service.ask(body.question, body.history, body.filters, body.top_k)
    # Serialised by pydantic directly: FastAPI would validate the finished object against its
    # own model again first, which costs more than a cached answer does.
    return Response(
        answer.model_dump_json(),
        media_type="application/json",
        headers={"Server-Timing": _server_timing(answer)},
    )


def started_stream(items: Iterator[str | Answer]) -> Iterator[str | Answer]:
    """``items`` with its first piece already produced: retrieval has run by then, so a bad
    filter or an unavailable index is a JSON 422/503 rather than a broken stream. Any other
    error is left to the stream, which reports it as its documented error event."""
    try:
        first = next(items)
    except (QuestionError, IndexUnavailable):
        raise
    except Exception as exc:
        return _raising(exc)
    return itertools.chain([first], items)


def _raising(exc: Exception) -> Iterator[str | Answer]:
    raise exc
    yield  # pragma: no cover - makes this a generator


def answer_events(items: Iterator[str | Answer]) -> Iterator[str]:
    """The SSE stream for one question; runs in the thread pool (the service is synchronous)."""
    try:
        for item in items:
            if isinstance(item, Answer):
                yield sse_event("answer", item.model_dump(mode="json"))
            else:
                yield sse_event("delta", {"text": item})
    except FilterError as exc:
        yield sse_event("error", error_body("invalid_filters", str(exc)))
    except QuestionError as exc:
        yield sse_event("error", error_body("invalid_question", str(exc)))
    except NotFoundError as exc:
        yield sse_event("error", error_body("not_found", str(exc)))
    except IndexUnavailable as exc:
        yield sse_event("error", error_body("index_unavailable", str(exc)))
    except Exception:
        logger.exception("Error while streaming an answer")
        yield sse_event("error", error_body("internal_error", "internal error; see the server log"))
    yield sse_event("done", {})


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    summary="Answer a question, streamed as server-sent events",
    description=STREAM_DESCRIPTION,
    responses={200: {"content": {SSE_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def ask_stream(body: AskRequest, service: Service) -> StreamingResponse:
    service.check_request(body.question, body.history, body.filters)  # 422, not a broken stream
    items = started_stream(
        service.ask_stream(body.question, body.history, body.filters, body.top_k)
    )
    return StreamingResponse(answer_events(items), media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS)


@router.get("/search", response_model=SearchResponse, summary="Ranked passages only (no answer)")
def search(
    request: Request,
    service: Service,
    q: Annotated[str, Query(description="The query text.")],
    k: Annotated[int | None, Query(ge=1, le=50, description="How many passages.")] = None,
    doc: Annotated[list[str] | None, Query(description="Only these document ids.")] = None,
    place: Annotated[list[str] | None, Query()] = None,
    organisation: Annotated[list[str] | None, Query()] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    date_from: Annotated[str | None, Query(description="ISO prefix, e.g. 2019.")] = None,
    date_to: Annotated[str | None, Query(description="ISO prefix, inclusive.")] = None,
) -> SearchResponse:
    unknown = sorted(set(request.query_params) - set(SEARCH_PARAMETERS))
    if unknown:  # e.g. a misspelt filter, which would otherwise be ignored in silence
        raise ApiError(
            422,
            "invalid_filters",
            f"unknown query parameter(s): {', '.join(unknown[:10])}; the allowed ones are "
            f"{', '.join(SEARCH_PARAMETERS)}.",
            allowed=list(SEARCH_PARAMETERS),
        )
    filters = SearchFilters(
        doc_ids=doc or [],
        places=place or [],
        organisations=organisation or [],
        kinds=kind or [],
        date_from=date_from,
        date_to=date_to,
    )
    passages = service.search(q, k, None if filters.is_empty() else filters)
    return SearchResponse(query=q, count=len(passages), passages=passages)


@router.post(
    "/compare",
    response_model=CompareResponse,
    responses=NOT_FOUND,
    summary="Ask the same question of several documents separately",
)
def compare(body: CompareRequest, service: Service) -> CompareResponse:
    answers = service.compare(body.question, body.doc_ids, body.top_k)
    return CompareResponse(question=body.question.strip(), answers=answers)
