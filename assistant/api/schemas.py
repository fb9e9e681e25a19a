"""Request and response bodies of the HTTP API (the service's own models are reused as-is)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.application.feedback_store import FeedbackRecord
from assistant.application.job_store import Job
from assistant.core.filters import SearchFilters
from assistant.core.models import Answer, Passage, Turn
from assistant.core.views import DocumentSummary

MAX_HISTORY_TURNS = 50


class AskRequest(BaseModel):
    """A question, optionally with the conversation so far and metadata filters."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        description="The question; an empty one or one over the configured "
        "max_question_chars limit is rejected with 422."
    )
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns, oldest first; follow-ups are resolved against them.",
    )
    filters: SearchFilters | None = None
    top_k: int | None = Field(None, ge=1, le=50, description="Passages to use (default 5).")


class CompareRequest(BaseModel):
    """The same question asked of each document separately."""

    model_config = ConfigDict(extra="forbid")

    question: str
    doc_ids: list[str] = Field(min_length=1, max_length=10)
    top_k: int | None = Field(None, ge=1, le=50)


class CompareResponse(BaseModel):
    question: str
    answers: dict[str, Answer]


class SearchResponse(BaseModel):
    query: str
    count: int
    passages: list[Passage]


class DocumentList(BaseModel):
    count: int
    documents: list[DocumentSummary]


class DocumentText(BaseModel):
    doc_id: str
    text: str = Field(description="The normalised text that citation offsets index into.")


class UploadResponse(BaseModel):
    doc_id: str
    chunk_count: int
    status: Literal["added", "updated", "unchanged", "duplicate"] = Field(
        description="'unchanged': this file was already indexed as is; 'duplicate': the same "
        "content is already indexed under doc_id (not indexed twice)."
    )
    file_name: str
    seconds: float


class RecommendationList(BaseModel):
    count: int
    recommendations: list[Passage]


class FeedbackList(BaseModel):
    count: int
    limit: int
    offset: int
    feedback: list[FeedbackRecord]


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class ErrorResponse(BaseModel):
    """The shape of every error response."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        401: "Missing or wrong API key (when one is configured)",
        413: "Request body too large",
        422: "Invalid request",
        503: "The vector index (a Chroma server) is unavailable; retry after `Retry-After` s",
    }.items()
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown id"}
}


# -- OpenAI-compatible chat completions ------------------------------------------------------
class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """OpenAI chat-completions request; sampling options are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = "strategy-assistant"
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    filters: SearchFilters | None = Field(
        None, description="Extension: metadata filters (pass via the client's extra_body)."
    )
    top_k: int | None = Field(None, ge=1, le=50, description="Extension: passages to use.")


class JobList(BaseModel):
    count: int
    jobs: list[Job]
