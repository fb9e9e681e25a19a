"""OpenAI-compatible facade: any OpenAI client can use the assistant as a model.

``POST /v1/chat/completions`` (streaming and not) and ``GET /v1/models``. The last user message
is the question and earlier user/assistant messages the history; system prompts are ignored
(the answerer is not steerable). Citations travel in the message text, as a ``Sources:`` list
after the answer, and in an extra top-level ``citations`` field (the Citation objects of
``POST /api/v1/ask``). ``filters`` and ``top_k`` may be passed as extra body fields.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import StreamingResponse

from assistant.api.deps import get_service
from assistant.api.errors import ApiError, error_body
from assistant.api.routes_ask import started_stream
from assistant.api.schemas import ERROR_RESPONSES, NOT_FOUND, ChatCompletionRequest, ChatMessage
from assistant.api.sse import SSE_HEADERS, SSE_MEDIA_TYPE, sse_event
from assistant.application.service import AssistantService
from assistant.core.errors import FilterError, IndexUnavailable, NotFoundError, QuestionError
from assistant.core.filters import unicode_problem
from assistant.core.models import Answer, Turn

logger = logging.getLogger("assistant.api")
router = APIRouter(prefix="/v1", tags=["openai-compatible"], responses=ERROR_RESPONSES)
Service = Annotated[AssistantService, Depends(get_service)]

MODEL_ID = "strategy-assistant"
MODEL_CREATED = 1767225600  # 2026-01-01, a fixed "created" date for the model listing
TURN_MAX_CHARS = 20000


def model_card() -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": MODEL_CREATED, "owned_by": "local"}


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """(question, history): the last user message, and the user/assistant turns before it."""
    last_user = next(
        (i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user"), None
    )
    if last_user is None:
        raise ApiError(422, "invalid_question", "messages holds no user message to answer.")
    for index, message in enumerate(messages[: last_user + 1]):
        problem = unicode_problem(message.text())
        if problem:  # checked here: a Turn with it would fail pydantic's own check (a 500)
            raise ApiError(
                422,
                "invalid_question",
                f"messages[{index}] is not valid Unicode ({problem}); send it as UTF-8 text.",
            )
    history = [
        Turn(role=m.role, content=m.text()[:TURN_MAX_CHARS])
        for m in messages[:last_user]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return messages[last_user].text(), history


def sources_text(answer: Answer) -> str:
    if not answer.citations:
        return ""
    lines = []
    for citation in answer.citations:
        where = f" — {citation.section}" if citation.section else ""
        page = f", p. {citation.page}" if citation.page else ""
        lines.append(f"[{citation.n}] {citation.title}{where}{page}")
    return "\n\nSources:\n" + "\n".join(lines)


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in answer.citations]


def _words(text: str) -> int:
    return len(text.split())


def _chunk(completion_id: str, created: int, delta: dict, finish: str | None = None) -> dict:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def completion_chunks(items: Iterator[str | Answer]) -> Iterator[str]:
    """OpenAI streaming chunks (``data: {...}`` lines), then ``data: [DONE]``."""
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    yield sse_event(None, _chunk(completion_id, created, {"role": "assistant", "content": ""}))
    try:
        for item in items:
            if isinstance(item, Answer):
                sources = sources_text(item)
                if sources:
                    yield sse_event(None, _chunk(completion_id, created, {"content": sources}))
                final = _chunk(completion_id, created, {}, "stop")
                final["citations"] = _citations(item)
                final["abstained"] = item.abstained
                yield sse_event(None, final)
            elif item:
                yield sse_event(None, _chunk(completion_id, created, {"content": item}))
    except FilterError as exc:
        yield sse_event(None, error_body("invalid_filters", str(exc)))
    except QuestionError as exc:
        yield sse_event(None, error_body("invalid_question", str(exc)))
    except NotFoundError as exc:
        yield sse_event(None, error_body("not_found", str(exc)))
    except IndexUnavailable as exc:
        yield sse_event(None, error_body("index_unavailable", str(exc)))
    except Exception:
        logger.exception("Error while streaming a chat completion")
        yield sse_event(None, error_body("internal_error", "internal error; see the server log"))
    yield sse_event(None, "[DONE]")


@router.get("/models", summary="The one model this server offers")
def list_models() -> dict[str, Any]:
    return {"object": "list", "data": [model_card()]}


@router.get("/models/{model}", responses=NOT_FOUND, summary="One model")
def get_model(model: Annotated[str, Path(max_length=200)]) -> dict[str, Any]:
    if model != MODEL_ID:
        raise ApiError(404, "model_not_found", f"No model {model!r}; the model is {MODEL_ID!r}.")
    return model_card()


@router.post(
    "/chat/completions",
    responses={
        **NOT_FOUND,
        200: {
            "description": "A chat.completion object, or with stream=true server-sent "
            "chat.completion.chunk events ending with `data: [DONE]`.",
            "content": {SSE_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
    },
    summary="OpenAI-compatible chat completion (cited answer)",
)
def chat_completions(body: ChatCompletionRequest, service: Service) -> Any:
    if body.model != MODEL_ID:
        raise ApiError(404, "model_not_found", f"No model {body.model!r}; use model={MODEL_ID!r}.")
    question, history = split_messages(body.messages)
    question = service.check_request(question, history, body.filters)
    if body.stream:
        items = started_stream(service.ask_stream(question, history, body.filters, body.top_k))
        return StreamingResponse(
            completion_chunks(items),
            media_type=SSE_MEDIA_TYPE,
            headers=SSE_HEADERS,
        )
    answer = service.ask(question, history, body.filters, body.top_k)
    content = answer.answer + sources_text(answer)
    prompt_words = _words(question) + sum(_words(t.content) for t in history)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        # Word counts: the extractive answerer has no tokenizer.
        "usage": {
            "prompt_tokens": prompt_words,
            "completion_tokens": _words(content),
            "total_tokens": prompt_words + _words(content),
        },
        "citations": _citations(answer),
        "abstained": answer.abstained,
        "timings": answer.timings,
    }
