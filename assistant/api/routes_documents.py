"""Documents: list, detail, text, upload, delete; passages for source viewers; recommendations.

An upload over ``upload_job_bytes`` (or any with ``?wait=false``) is answered 202 with a job
(``routes_jobs``) once it has passed the checks that need no parsing; the rest answer when
indexed (201 added, 200 otherwise), as does any upload with ``?wait=true``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile

from assistant.api.deps import get_service, get_settings
from assistant.api.errors import ApiError
from assistant.api.schemas import (
    ERROR_RESPONSES,
    NOT_FOUND,
    DocumentList,
    DocumentText,
    ErrorResponse,
    RecommendationList,
    UploadResponse,
)
from assistant.application.documents import Caller, NameConflict
from assistant.application.job_store import Job
from assistant.application.service import AssistantService
from assistant.core.settings import Settings
from assistant.core.views import DocumentDetail, PassageView

router = APIRouter(prefix="/api/v1", tags=["documents"], responses=ERROR_RESPONSES)
Service = Annotated[AssistantService, Depends(get_service)]
DocId = Annotated[str, Path(min_length=1, max_length=200, description="A document id.")]


def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(
            413,
            "payload_too_large",
            f"The file is over the {limit}-byte upload limit (ASSISTANT_MAX_UPLOAD_BYTES).",
            limit_bytes=limit,
        )
    return data


def api_caller(request: Request) -> Caller:
    """The audit trail's "who": this edge and the client's address as the server saw it."""
    return Caller(via="api", client=request.client.host if request.client else None)


@router.get("/documents", response_model=DocumentList, summary="Every indexed document")
def list_documents(service: Service) -> DocumentList:
    documents = service.documents()
    return DocumentList(count=len(documents), documents=documents)


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentDetail,
    responses=NOT_FOUND,
    summary="Metadata and section outline of one document",
)
def get_document(doc_id: DocId, service: Service) -> DocumentDetail:
    return service.document(doc_id)


@router.get(
    "/documents/{doc_id}/text",
    response_model=DocumentText,
    responses=NOT_FOUND,
    summary="The normalised text that citation offsets point into",
)
def get_document_text(doc_id: DocId, service: Service) -> DocumentText:
    return DocumentText(doc_id=doc_id, text=service.document_text(doc_id))


@router.post(
    "/documents",
    response_model=UploadResponse | Job,
    status_code=201,
    responses={
        200: {
            "model": UploadResponse,
            "description": "Replaced (updated), or already indexed (unchanged/duplicate)",
        },
        202: {
            "model": Job,
            "description": "Checked and queued as a background job (Location: /api/v1/jobs/{id})",
        },
        409: {
            "model": ErrorResponse,
            "description": "A different document already has this name (the error's doc_id); "
            "send replace=true to replace it. Or another change of it is running.",
        },
        415: {"model": ErrorResponse, "description": "Not a supported document type"},
        503: {
            "model": ErrorResponse,
            "description": "The index is unavailable or busy, or too many uploads are queued",
        },
    },
    summary="Upload and index one document (.txt .md .pdf .docx .html)",
)
def upload_document(
    request: Request,
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    response: Response,
    file: Annotated[UploadFile, File(description="One document; its type is checked by content.")],
    replace: Annotated[
        bool,
        Form(description="Replace the document already indexed under this name (else 409)."),
    ] = False,
    replace_query: Annotated[
        bool, Query(alias="replace", description="The same as the form field.")
    ] = False,
    metadata: Annotated[
        str | None,
        Form(
            description="JSON object of title, short_name, organisation, place, date (YYYY, "
            'YYYY-MM or YYYY-MM-DD), kind, summary; e.g. {"title": "Leeds skills plan"}. When '
            "replacing, these override the kept metadata (null clears a field)."
        ),
    ] = None,
    wait: Annotated[
        bool | None,
        Query(
            description="true: answer when indexed (201/200); false: answer at once with a job "
            "(202). By default an upload over ASSISTANT_UPLOAD_JOB_BYTES (64 KiB) is a job."
        ),
    ] = None,
) -> UploadResponse | Job:
    """Ingests incrementally: re-uploading the same content is a no-op, and content already
    indexed under another name is reported as a duplicate, never indexed twice. A different
    document under a name already in the library is refused with 409 unless ``replace=true``;
    a replacement keeps the document's curated metadata unless new metadata is sent.

    A large upload (or ``wait=false``) is a background job: the refusals that need no parsing
    (413 size or zip bomb, 415 type, 422 empty, undecodable text or bad metadata, 409 name)
    still come now; then 202 with the job and ``Location: /api/v1/jobs/{id}``. Poll that for
    progress and the result; ``DELETE`` it to cancel. Questions are answered meanwhile from
    the index as it was, and the document joins them once the job commits."""
    data = _read_limited(file, settings.max_upload_bytes)
    background = len(data) > settings.upload_job_bytes if wait is None else not wait
    start = service.start_upload if background else service.add_upload
    try:
        outcome = start(
            data,
            file.filename,
            replace=replace or replace_query,
            metadata=metadata or None,
            caller=api_caller(request),
        )
    except NameConflict as exc:
        raise ApiError(409, exc.code, str(exc), doc_id=exc.doc_id, title=exc.title) from None
    if isinstance(outcome, Job):
        response.status_code = 202
        response.headers["Location"] = f"/api/v1/jobs/{outcome.id}"
        return outcome
    if outcome.status != "added":
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/documents/{outcome.doc_id}"
    return UploadResponse(
        doc_id=outcome.doc_id,
        chunk_count=outcome.chunk_count,
        status=outcome.status,
        file_name=outcome.file_name,
        seconds=round(outcome.report.seconds, 3),
    )


@router.delete(
    "/documents/{doc_id}",
    responses=NOT_FOUND,
    summary="Remove a document from every index",
)
def delete_document(doc_id: DocId, request: Request, service: Service) -> dict[str, str]:
    service.delete_document(doc_id, api_caller(request))
    return {"doc_id": doc_id, "status": "deleted"}


@router.get(
    "/passages/{chunk_id}",
    response_model=PassageView,
    responses=NOT_FOUND,
    summary="One passage with its neighbours and surrounding text (for source viewers)",
)
def get_passage(
    chunk_id: Annotated[str, Path(min_length=1, max_length=300)],
    service: Service,
    context_chars: Annotated[int, Query(ge=0, le=20000)] = 600,
) -> PassageView:
    return service.passage(chunk_id, context_chars)


@router.get(
    "/recommendations",
    response_model=RecommendationList,
    summary="Every numbered recommendation across the documents",
)
def recommendations(service: Service) -> RecommendationList:
    found = service.recommendations()
    return RecommendationList(count=len(found), recommendations=found)
