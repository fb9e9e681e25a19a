"""Documents: list, detail, text, upload, delete; passages for source viewers; recommendations."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile

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
from assistant.application.service import AssistantService, DocumentDetail, PassageView
from assistant.core.settings import Settings
from ingest.loaders import SUPPORTED_SUFFIXES, sniff_suffix

router = APIRouter(prefix="/api/v1", tags=["documents"], responses=ERROR_RESPONSES)
Service = Annotated[AssistantService, Depends(get_service)]
DocId = Annotated[str, Path(min_length=1, max_length=200, description="A document id.")]

# Which sniffed content types a file name's extension may carry. Text is accepted as HTML (a
# fragment without <html>) and HTML-looking text as .txt/.md; binary formats must match.
_COMPATIBLE = {
    ".pdf": {".pdf"},
    ".docx": {".docx"},
    ".html": {".html", ".txt"},
    ".htm": {".html", ".txt"},
    ".txt": {".txt", ".html"},
    ".md": {".txt", ".html"},
    ".markdown": {".txt", ".html"},
}
_DESCRIBE = {".pdf": "a PDF", ".docx": "a Word .docx file", ".html": "HTML", ".txt": "text"}


def upload_suffix(data: bytes, file_name: str) -> str:
    """The type to parse an upload as, judged by its content and checked against its name."""
    sniffed = sniff_suffix(data)
    declared = PurePosixPath(file_name).suffix.lower()
    supported = ", ".join(SUPPORTED_SUFFIXES)
    if declared and declared not in _COMPATIBLE:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"{file_name}: '{declared}' files are not supported; upload one of: {supported}.",
        )
    if sniffed is None:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"{file_name}: the content is binary and not a PDF or .docx document; "
            f"supported: {supported}.",
        )
    if not declared:
        return sniffed
    if sniffed not in _COMPATIBLE[declared]:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"{file_name}: the name says {declared} but the content is {_DESCRIBE[sniffed]}; "
            "upload the real file or give it the right extension.",
        )
    return declared


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
    response_model=UploadResponse,
    status_code=201,
    responses={
        200: {"model": UploadResponse, "description": "Already indexed (unchanged/duplicate)"},
        415: {"model": ErrorResponse, "description": "Not a supported document type"},
    },
    summary="Upload and index one document (.txt .md .pdf .docx .html)",
)
def upload_document(
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    response: Response,
    file: Annotated[UploadFile, File(description="One document; its type is checked by content.")],
) -> UploadResponse:
    """Ingests incrementally: re-uploading the same content is a no-op, and content already
    indexed under another name is reported as a duplicate, never indexed twice."""
    name = PurePosixPath((file.filename or "").replace("\\", "/")).name.strip() or "upload"
    data = _read_limited(file, settings.max_upload_bytes)
    suffix = upload_suffix(data, name)
    if not PurePosixPath(name).suffix:
        name += suffix
    report, doc_id = service.upload(data, name, suffix)
    if doc_id is None:  # defensive: the pipeline reports unreadable files by raising
        raise ApiError(422, "unreadable_document", f"{name}: nothing could be indexed.")
    if report.added:
        status = "added"
    elif report.updated:
        status = "updated"
    elif report.duplicates:
        status = "duplicate"
    else:
        status = "unchanged"
    if status != "added":
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/documents/{doc_id}"
    return UploadResponse(
        doc_id=doc_id,
        chunk_count=service.document(doc_id).chunk_count,
        status=status,
        file_name=name,
        seconds=round(report.seconds, 3),
    )


@router.delete(
    "/documents/{doc_id}",
    responses=NOT_FOUND,
    summary="Remove a document from every index",
)
def delete_document(doc_id: DocId, service: Service) -> dict[str, str]:
    service.delete_document(doc_id)
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
