"""Readiness (``GET /health``) and a small index of the service at ``GET /``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

from assistant.api.errors import error_body
from assistant.core.errors import IndexUnavailable

logger = logging.getLogger("assistant.api")
router = APIRouter(tags=["service"])


@router.get(
    "/health",
    summary="Ready when the model and index are loaded (no API key needed)",
    responses={
        503: {
            "description": "Not ready: the service or its index cannot be used; `down` says "
            "which part (e.g. the Chroma server), `Retry-After` when to look again"
        }
    },
)
def health(request: Request) -> Any:
    service = getattr(request.app.state, "service", None)
    if service is None:
        return JSONResponse(
            {"status": "starting", **error_body("unavailable", "The service is not loaded yet.")},
            status_code=503,
        )
    try:
        return service.health()
    except IndexUnavailable as exc:
        return JSONResponse(
            {
                "status": "unavailable",
                "down": {"vector_index": str(exc)},
                **error_body("index_unavailable", str(exc)),
            },
            status_code=503,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except Exception:
        logger.exception("Health check failed")
        return JSONResponse(
            {
                "status": "unavailable",
                **error_body("unavailable", "The index cannot be read; see the server log."),
            },
            status_code=503,
        )


@router.get("/", include_in_schema=False)
def root(request: Request) -> Any:
    """Browsers go to the web UI when it is mounted; API clients get the map below."""
    settings = request.app.state.settings
    if settings.ui_enabled and "text/html" in request.headers.get("accept", ""):
        return RedirectResponse("/ui/", status_code=307)
    return {
        "name": "Strategy Assistant",
        "docs": "/docs",
        "health": "/health",
        "api": "/api/v1",
        "openai_compatible": "/v1",
        "ui": "/ui" if settings.ui_enabled else None,
    }
