"""Thumbs up/down and comments on answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from assistant.api.deps import get_service
from assistant.api.schemas import ERROR_RESPONSES, FeedbackList
from assistant.application.feedback_store import FeedbackIn, FeedbackRecord
from assistant.application.service import AssistantService

router = APIRouter(prefix="/api/v1", tags=["feedback"], responses=ERROR_RESPONSES)
Service = Annotated[AssistantService, Depends(get_service)]


@router.post("/feedback", response_model=FeedbackRecord, status_code=201, summary="Rate an answer")
def add_feedback(body: FeedbackIn, service: Service) -> FeedbackRecord:
    return service.feedback.add(body)


@router.get("/feedback", response_model=FeedbackList, summary="Feedback, newest first")
def list_feedback(
    service: Service,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> FeedbackList:
    items = service.feedback.list(limit, offset)
    return FeedbackList(count=len(items), limit=limit, offset=offset, feedback=items)
