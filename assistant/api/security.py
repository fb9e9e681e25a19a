"""API key check and request body limit, as plain ASGI middleware (they run before routing).

* API key: when ``settings.api_key`` is set, every request must carry
  ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` (compared in constant time), except
  ``GET /health`` (for load balancers and probes) and the web UI: ``/ui`` and its favicon stay
  open, because a browser cannot add the header and the UI calls the service in-process. So a
  key protects the API, not the UI: expose the UI only behind your own sign-in (a reverse
  proxy), or set ``ASSISTANT_UI_ENABLED=false``. ``/docs`` and ``/openapi.json`` need the key.
* Body limit: a request whose declared ``Content-Length`` or whose streamed body exceeds the
  limit for its path is answered 413 before the application sees it.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import error_body

UI_PATH = "/ui"
OPEN_PATHS = frozenset({"/health", "/favicon.ico"})
UPLOAD_PATH = "/api/v1/documents"
JSON_BODY_LIMIT = 1024 * 1024  # questions, histories, feedback: far above any real request
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around one uploaded file


async def send_json(send: Send, status: int, body: dict, headers: dict[str, str] | None = None):
    payload = json.dumps(body).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


def presented_key(headers: Headers) -> str | None:
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key") or None


def key_matches(presented: str | None, expected: str) -> bool:
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS or path == UI_PATH or path.startswith(UI_PATH + "/")


class ApiKeyMiddleware:
    """401 for requests without the configured key (see the module docstring for exceptions)."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        if key_matches(presented_key(Headers(scope=scope)), self.api_key):
            await self.app(scope, receive, send)
            return
        await send_json(
            send,
            401,
            error_body(
                "unauthorized",
                "A valid API key is required: send 'Authorization: Bearer KEY' "
                "or 'X-API-Key: KEY'.",
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )


class BodyLimitMiddleware:
    """413 (JSON, naming the limit) for bodies over the limit, checked before and while reading.

    The body is read here, counted, and replayed to the application; later ``receive`` calls
    (disconnect notices for streaming responses) pass through.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope.get("path", ""))
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await send_json(
                    send, 400, error_body("bad_request", "Content-Length is not a number.")
                )
                return
            if too_big:
                await self._reject(send, limit)
                return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            body = message.get("body", b"")
            total += len(body)
            if total > limit:
                await self._reject(send, limit)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _reject(send: Send, limit: int) -> None:
        await send_json(
            send,
            413,
            error_body(
                "payload_too_large",
                f"The request body is over the {limit}-byte limit for this endpoint.",
                limit_bytes=limit,
            ),
            headers={"connection": "close"},
        )


def body_limit_for(max_upload_bytes: int) -> Callable[[str, str], int]:
    """Uploads (API and web UI) may be ``max_upload_bytes`` plus multipart framing; JSON 1 MiB."""

    def limit_for(method: str, path: str) -> int:
        if (method == "POST" and path.rstrip("/") == UPLOAD_PATH) or is_open_path(path):
            return max_upload_bytes + MULTIPART_OVERHEAD
        return JSON_BODY_LIMIT

    return limit_for
