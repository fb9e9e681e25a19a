"""One JSON error shape for every failure: ``{"error": {"code": ..., "message": ...}}``.

Service errors map to HTTP statuses here, so routers stay thin. No traceback ever reaches a
client: unexpected exceptions are logged with a request id and answered with a generic 500.
"""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.core.errors import (
    FilterError,
    IndexUnavailable,
    NotFoundError,
    QuestionError,
    UnreadableDocumentError,
    UploadRefused,
)
from assistant.core.filters import SearchFilters

logger = logging.getLogger("assistant.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error a router raises on purpose: status, code, message and optional extra fields."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def _encodable(value: Any) -> Any:
    """``value`` with lone surrogates replaced, so an error that quotes invalid input can
    still be sent as UTF-8 JSON (and is never a 500 of its own)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return _encodable({"error": {"code": code, "message": message, **extra}})


def unavailable_headers(exc: IndexUnavailable) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Field errors without the offending input (it may be huge or not JSON-serialisable)."""
    return [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]


def install_error_handlers(app: FastAPI, max_question_chars: int) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(QuestionError)
    async def _question(request: Request, exc: QuestionError) -> JSONResponse:
        return error_response(
            422, "invalid_question", str(exc), max_question_chars=max_question_chars
        )

    @app.exception_handler(FilterError)
    async def _filters(request: Request, exc: FilterError) -> JSONResponse:
        return error_response(422, "invalid_filters", str(exc), **exc.details)

    @app.exception_handler(IndexUnavailable)
    async def _unavailable(request: Request, exc: IndexUnavailable) -> JSONResponse:
        return error_response(503, "index_unavailable", str(exc), headers=unavailable_headers(exc))

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return error_response(404, "not_found", str(exc))

    @app.exception_handler(UnreadableDocumentError)
    async def _unreadable(request: Request, exc: UnreadableDocumentError) -> JSONResponse:
        return error_response(422, "unreadable_document", str(exc))

    @app.exception_handler(UploadRefused)
    async def _refused(request: Request, exc: UploadRefused) -> JSONResponse:
        return error_response(exc.status, exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"][1:] if len(first["loc"]) > 1 else first["loc"])
        message = f"{where}: {first['msg']}" if where else first["msg"]
        if first.get("type") == "unknown_filter_field":  # same code as the other filter errors
            allowed = list(SearchFilters.model_fields)
            return error_response(422, "invalid_filters", message, allowed=allowed, details=details)
        return error_response(422, "validation_error", message, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        code = _CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
        if status == 404 and message == "Not Found":
            message = f"No such endpoint: {request.method} {request.url.path}; see /docs."
        return error_response(status, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:12]
        logger.error(
            "Unhandled error (request %s) on %s %s",
            request_id,
            request.method,
            request.url.path,
            exc_info=exc,
        )
        return error_response(
            500,
            "internal_error",
            "internal error; the details are in the server log",
            request_id=request_id,
        )
