"""Signing in to the web UI: a form that takes the API key and sets the session cookie.

Only present when the server has an API key and the UI is enabled. The cookie holds a signed,
expiring token (``security.SessionTokens``), never the key; it is HttpOnly (scripts cannot
read it), SameSite=Strict (no other site's page can make the browser send it), limited to
``/ui`` and Secure when the request came over HTTPS.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from assistant.api.security import (
    LOGIN_PATH,
    SESSION_COOKIE,
    UI_PATH,
    SessionTokens,
    key_matches,
    login_redirect_target,
)

router = APIRouter(include_in_schema=False)
NO_STORE = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Strategy Assistant</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;background:#f5f6fa;
color:#1f2937;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}}
main{{background:#fff;border:1px solid #d8dbe5;border-radius:10px;padding:2rem;
width:min(24rem,90vw)}}
h1{{font-size:1.25rem;margin:0 0 .5rem}} p{{margin:.25rem 0 1rem;line-height:1.4}}
label{{display:block;font-weight:600;margin-bottom:.35rem}}
input{{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #9aa1b5;border-radius:6px;
font-size:1rem}}
button{{margin-top:1rem;width:100%;padding:.65rem;border:0;border-radius:6px;background:#4338ca;
color:#fff;font-size:1rem;font-weight:600;cursor:pointer}}
.error{{color:#b91c1c;font-weight:600}}
</style></head>
<body><main>
<h1>Strategy Assistant</h1>
<p>This server asks for its access key (the API key) before it shows the library.</p>
{error}
<form method="post" action="{action}">
<label for="key">Access key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button>
</form>
</main></body></html>
"""


def login_page(next_path: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    html = PAGE.format(error=problem, action=LOGIN_PATH, next=escape(next_path, quote=True))
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def _cookie_flags(request: Request) -> dict:
    return {
        "path": UI_PATH,
        "httponly": True,
        "samesite": "strict",
        "secure": request.url.scheme == "https",
    }


@router.get(LOGIN_PATH)
def show_login(next: Annotated[str, Query(max_length=2000)] = UI_PATH + "/") -> HTMLResponse:
    return login_page(login_redirect_target(next.partition("?")[0], next.partition("?")[2]))


@router.post(LOGIN_PATH)
def sign_in(
    request: Request,
    key: Annotated[str, Form(max_length=4096)] = "",
    next: Annotated[str, Form(max_length=2000)] = UI_PATH + "/",
) -> Response:
    target = login_redirect_target(next.partition("?")[0], next.partition("?")[2])
    if not key_matches(key, request.app.state.settings.api_key):
        return login_page(target, "That key is not right; try again.", status=401)
    sessions: SessionTokens = request.app.state.sessions
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        SESSION_COOKIE, sessions.issue(), max_age=sessions.max_age, **_cookie_flags(request)
    )
    return response


@router.api_route("/logout", methods=["GET", "POST"])
def sign_out(request: Request) -> Response:
    response = RedirectResponse(LOGIN_PATH, status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, **_cookie_flags(request))
    return response
