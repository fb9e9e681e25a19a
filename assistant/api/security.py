"""API key check and request body limit, as plain ASGI middleware (they run before routing).

* API key: when ``settings.api_key`` is set, every HTTP request and websocket must carry
  ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` (compared in constant time), except
  ``/health`` (for load balancers and probes), ``/favicon.ico`` and the sign-in page
  (``/login``, ``/logout``). The web UI (every path under ``/ui``: pages, ``gradio_api`` calls,
  uploads, files, the queue and its event stream) also accepts the session cookie that
  ``/login`` sets after the browser sends the same key; the API never accepts the cookie. The
  check runs before Gradio sees the request, so a refused request cannot ask, upload, delete
  or write a file: a browser asking for a UI page is redirected to ``/login``, anything else
  gets 401 JSON, a websocket is closed before it opens. ``/docs`` and ``/openapi.json`` need
  the key. Without a key nothing is checked.
* Body limit: a request whose declared ``Content-Length`` or whose streamed body exceeds the
  limit for its path is answered 413 before the application sees it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import error_body

UI_PATH = "/ui"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
SESSION_COOKIE = "sa_session"
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


def is_ui_path(path: str) -> bool:
    return path == UI_PATH or path.startswith(UI_PATH + "/")


class SessionTokens:
    """Signed, expiring web UI session tokens: ``v1.<expiry>.<nonce>.<HMAC-SHA256>``.

    The signing secret is derived from the API key, so a token survives a restart and every
    token dies when the key changes; nothing is stored on the server.
    """

    def __init__(self, api_key: str, max_age_seconds: float) -> None:
        self._secret = hmac.new(
            api_key.encode("utf-8"), b"strategy-assistant ui session v1", hashlib.sha256
        ).digest()
        self.max_age = int(max_age_seconds)

    def issue(self, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + self.max_age)
        body = f"v1.{expires}.{secrets.token_urlsafe(12)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, token: str | None, now: float | None = None) -> bool:
        if not token or len(token) > 200:
            return False
        body, _, signature = token.rpartition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return False
        parts = body.split(".")
        if len(parts) != 3 or parts[0] != "v1" or not parts[1].isdigit():
            return False
        return (time.time() if now is None else now) < int(parts[1])

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def session_token(headers: Headers) -> str | None:
    return cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)


def login_redirect_target(path: str, query: str = "") -> str:
    """The local UI path to return to after signing in; anything else becomes ``/ui/``."""
    if not is_ui_path(path) or "\\" in path:
        return UI_PATH + "/"
    return path + (f"?{query}" if query else "")


class ApiKeyMiddleware:
    """401 for requests without the configured key (see the module docstring for exceptions);
    with ``sessions``, the web UI also accepts a valid session cookie."""

    def __init__(self, app: ASGIApp, api_key: str, sessions: SessionTokens | None = None) -> None:
        self.app = app
        self.api_key = api_key
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if scope["type"] == "http" and self._is_open(path):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if key_matches(presented_key(headers), self.api_key) or (
            self.sessions is not None
            and is_ui_path(path)
            and self.sessions.valid(session_token(headers))
        ):
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, send, headers, path)

    def _is_open(self, path: str) -> bool:
        return path in OPEN_PATHS or (
            self.sessions is not None and path in (LOGIN_PATH, LOGOUT_PATH)
        )

    async def _refuse(self, scope: Scope, send: Send, headers: Headers, path: str) -> None:
        if scope["type"] == "websocket":  # closing before accepting refuses the handshake
            await send({"type": "websocket.close", "code": 1008})
            return
        ui = self.sessions is not None and is_ui_path(path)
        if ui and scope["method"] in ("GET", "HEAD") and "text/html" in headers.get("accept", ""):
            query = scope.get("query_string", b"").decode("latin-1")
            target = quote(login_redirect_target(path, query), safe="")
            location = f"{LOGIN_PATH}?next={target}"
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", location.encode("latin-1")),
                        (b"content-length", b"0"),
                        (b"cache-control", b"no-store"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        message = (
            "Sign in first: open /login in a browser, or send the API key as "
            "'Authorization: Bearer KEY' or 'X-API-Key: KEY'."
            if ui
            else "A valid API key is required: send 'Authorization: Bearer KEY' "
            "or 'X-API-Key: KEY'."
        )
        await send_json(
            send, 401, error_body("unauthorized", message), headers={"WWW-Authenticate": "Bearer"}
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
        if (method == "POST" and path.rstrip("/") == UPLOAD_PATH) or is_ui_path(path):
            return max_upload_bytes + MULTIPART_OVERHEAD
        return JSON_BODY_LIMIT

    return limit_for
