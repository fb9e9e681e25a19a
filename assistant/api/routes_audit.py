"""The audit trail of document changes: every upload, replace and delete, with its result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from assistant.api.deps import get_service
from assistant.api.schemas import ERROR_RESPONSES
from assistant.application.feedback_store import AuditRecord
from assistant.application.service import AssistantService

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=ERROR_RESPONSES)
Service = Annotated[AssistantService, Depends(get_service)]


class AuditList(BaseModel):
    count: int
    limit: int
    offset: int
    entries: list[AuditRecord]


@router.get(
    "/audit",
    response_model=AuditList,
    summary="Document changes (upload, replace, delete), newest first",
)
def list_audit(
    service: Service,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    doc_id: Annotated[
        str | None, Query(max_length=200, description="Only this document's entries.")
    ] = None,
) -> AuditList:
    """Each entry: time (UTC), action, edge (api/ui/cli), client address, document id, file
    name, SHA-256 of the bytes (chunk ids carry its first 12 characters), result and HTTP
    status. Refused and failed changes are listed too. Needs the API key when one is set."""
    entries = service.feedback.audit.list(limit, offset, doc_id)
    return AuditList(count=len(entries), limit=limit, offset=offset, entries=entries)
