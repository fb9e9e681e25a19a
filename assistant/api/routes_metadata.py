"""Editing a document's metadata: ``PATCH /api/v1/documents/{doc_id}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.deps import get_service
from assistant.application.service import AssistantService
from assistant.core.views import DocumentSummary

router = APIRouter(prefix="/api/v1", tags=["documents"])
Service = Annotated[AssistantService, Depends(get_service)]
DocId = Annotated[str, Path(min_length=1, max_length=200, description="A document id.")]


class DocumentPatch(BaseModel):
    """The fields to change; a field left out stays as it is, ``null`` (or "") undoes an
    earlier edit so the manifest's or the inferred value returns."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=300)
    short_name: str | None = Field(None, max_length=200)
    organisation: str | None = Field(None, max_length=200)
    place: str | None = Field(None, max_length=200)
    date: str | None = Field(
        None, max_length=10, description="ISO at the precision known: 2025, 2025-03, 2025-03-10."
    )
    kind: str | None = Field(None, max_length=200)
    summary: str | None = Field(None, max_length=2000)


@router.patch(
    "/documents/{doc_id}",
    response_model=DocumentSummary,
    summary="Edit a document's title, short name, organisation, place, date, kind or summary",
    responses={404: {"description": "Unknown id"}, 422: {"description": "Invalid field"}},
)
def edit_document(doc_id: DocId, patch: DocumentPatch, service: Service) -> DocumentSummary:
    """Edits are kept across re-ingests and restarts and used at once by filters, lead-ins and
    answers; ``meta.extra.provenance`` marks each edited field ``edited``."""
    return service.edit_document(doc_id, patch.model_dump(exclude_unset=True))
