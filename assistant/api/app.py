"""The FastAPI application: thin routers over one ``AssistantService``.

``create_app(settings)`` builds the service (and so loads the embedding model) once per process;
tests pass their own service. Endpoints are synchronous ``def`` functions, so FastAPI runs them
in its thread pool and a slow answer never blocks the event loop.

Middleware, outermost first: CORS (only when origins are configured; it answers preflight
requests), the API key check (only when a key is configured; with the UI enabled it also admits
the web UI's session cookie under /ui and adds the /login form), the request body limit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from assistant.api import (
    routes_ask,
    routes_audit,
    routes_documents,
    routes_feedback,
    routes_health,
    routes_jobs,
    routes_login,
    routes_metadata,
    routes_openai,
)
from assistant.api.errors import install_error_handlers
from assistant.api.security import (
    ApiKeyMiddleware,
    BodyLimitMiddleware,
    SessionTokens,
    body_limit_for,
)
from assistant.application.service import AssistantService
from assistant.core.settings import Settings

logger = logging.getLogger("assistant.api")

DESCRIPTION = """Cited answers over local-government education, skills and cultural strategy
documents. Every sentence of an answer ends with `[n]`, a citation to the exact passage
(document, section, page, character offsets) it came from; when the documents don't answer, the
answer says so (`abstained: true`) and lists the closest passages.

* `/api/v1/...` — ask (JSON or server-sent events), search, documents, passages, feedback,
  the audit trail of document changes, background upload jobs.
* `/v1/chat/completions`, `/v1/models` — OpenAI-compatible facade (model `strategy-assistant`).
* `/health` — readiness, never needs the API key.

When the server has an API key (`ASSISTANT_API_KEY`), send it as `Authorization: Bearer KEY`
or `X-API-Key: KEY`; only `/health` stays open. The web UI (`/ui`) asks a browser to sign in at
`/login` with the same key. Errors are JSON: `{"error": {"code": ..., "message": ...}}`."""


def create_app(
    settings: Settings | None = None, service: AssistantService | None = None
) -> FastAPI:
    """The HTTP API over one service (``assistant.server`` adds the web UI at /ui)."""
    settings = settings or Settings()
    owned = service is None
    if service is None:
        service = AssistantService(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.recent_jobs(1)  # opens the job store: jobs a stopped server left are closed
        yield
        if owned:
            service.close()

    app = FastAPI(
        title="Strategy Assistant API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.service = service
    install_error_handlers(app, settings.max_question_chars)
    routers = (
        routes_health,
        routes_ask,
        routes_documents,
        routes_feedback,
        routes_audit,
        routes_jobs,
        routes_openai,
    )
    for module in routers:
        app.include_router(module.router)
    app.include_router(routes_metadata.router)  # PATCH /api/v1/documents/{doc_id}
    sessions = None
    if settings.api_key and settings.ui_enabled:
        sessions = SessionTokens(settings.api_key, settings.ui_session_hours * 3600)
        app.include_router(routes_login.router)
    app.state.sessions = sessions

    # add_middleware wraps: the last added runs first.
    app.add_middleware(BodyLimitMiddleware, limit_for=body_limit_for(settings.max_upload_bytes))
    if settings.api_key:
        app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key, sessions=sessions)
        _document_api_key(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            expose_headers=["Server-Timing", "Location"],
            allow_credentials=False,  # the key travels in a header, never in cookies
        )
    return app


def _document_api_key(app: FastAPI) -> None:
    """Declare both ways of sending the key in the OpenAPI schema (and /docs' Authorize)."""
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build_schema()
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            }
            schema["security"] = [{"bearer": []}, {"apiKey": []}]
            health = schema.get("paths", {}).get("/health", {}).get("get")
            if health is not None:
                health["security"] = []
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
