"""With an API key set, the web UI needs a sign-in: every /ui path, before Gradio sees it.

Issue 12, item 1: an unauthenticated client could ask, upload and replace documents through
/ui/gradio_api while the API was key-protected. These run the real server app (API + Gradio UI)
in a TestClient on fake embeddings; the real-socket version with ``gradio_client`` is
tests/integration/test_ui_auth_server.py.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from assistant.api import security
from assistant.api.security import SESSION_COOKIE, SessionTokens
from assistant.server import create_server
from tests.api_support import fake_corpus_service

KEY = "ui-auth-test-key"
MID_TERM = "city-of-london-mid-term-review"

# Every kind of /ui request a client makes: pages, config, calls, uploads, files, the queue.
UI_REQUESTS = [
    ("GET", "/ui"),
    ("GET", "/ui/"),
    ("GET", "/ui/config"),
    ("GET", "/ui/gradio_api/info"),
    ("GET", "/ui/gradio_api/openapi.json"),
    ("POST", "/ui/gradio_api/upload"),
    ("GET", "/ui/gradio_api/upload_progress?upload_id=x"),
    ("POST", "/ui/gradio_api/queue/join"),
    ("GET", "/ui/gradio_api/queue/data?session_hash=abc"),
    ("POST", "/ui/gradio_api/run/predict"),
    ("POST", "/ui/gradio_api/call/add"),
    ("POST", "/ui/gradio_api/reset"),
    ("POST", "/ui/gradio_api/cancel"),
    ("POST", "/ui/gradio_api/stream/abc"),
    ("GET", "/ui/gradio_api/heartbeat/abc"),
    ("GET", "/ui/gradio_api/file=/etc/hostname"),
    ("GET", "/ui/gradio_api/monitoring/x"),
    ("GET", "/ui/theme.css"),
    ("GET", "/ui/manifest.json"),
]


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("gradio-uploads")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    service = fake_corpus_service(tmp_path_factory.mktemp("ui-auth") / "data")
    yield service
    service.close()


@pytest.fixture(scope="module")
def app(service, upload_dir):
    mp = pytest.MonkeyPatch()
    mp.setenv("GRADIO_TEMP_DIR", str(upload_dir))
    settings = service.settings.model_copy(update={"api_key": KEY, "ui_enabled": True})
    app = create_server(settings, service)
    yield app
    mp.undo()


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield client


def sign_in(client: TestClient, key: str = KEY, next_path: str = "/ui/"):
    return client.post("/login", data={"key": key, "next": next_path})


def files_in(folder) -> list:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("method, path", UI_REQUESTS)
def test_every_ui_request_is_refused_without_a_sign_in(client, upload_dir, method, path):
    before = files_in(upload_dir)
    files = {"files": ("hijack.txt", b"Hijack", "text/plain")} if "upload" in path else None
    response = client.request(method, path, files=files)
    assert response.status_code == 401, (path, response.status_code, response.text[:200])
    assert response.json()["error"]["code"] == "unauthorized"
    assert "/login" in response.json()["error"]["message"]
    assert files_in(upload_dir) == before  # nothing was written


@pytest.mark.parametrize("path", ["/ui/", "/ui", "/ui/?view=api"])
def test_a_browser_is_sent_to_the_sign_in_page(client, path):
    response = client.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fui")
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and 'name="key"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_a_refused_upload_through_the_ui_api_changes_nothing(client, service, upload_dir):
    before, files_before = service.document(MID_TERM), files_in(upload_dir)
    response = client.post(
        "/ui/gradio_api/upload",
        files={"files": (f"{MID_TERM}.txt", b"# Hijack\n\nPlanted text.", "text/plain")},
    )
    assert response.status_code == 401
    assert service.document(MID_TERM) == before
    assert files_in(upload_dir) == files_before


def test_websockets_under_ui_need_the_sign_in_too():
    """Gradio 6 opens none, but the check must not let one through if a version does."""

    async def echo(socket):
        await socket.accept()
        await socket.send_text("open")
        await socket.close()

    inner = Starlette(routes=[WebSocketRoute("/ui/socket", echo)])
    tokens = SessionTokens(KEY, 3600)
    guarded = security.ApiKeyMiddleware(inner, api_key=KEY, sessions=tokens)
    client = TestClient(guarded)
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ui/socket") as socket:
        socket.receive_text()
    with client.websocket_connect("/ui/socket", headers={"X-API-Key": KEY}) as socket:
        assert socket.receive_text() == "open"
    client.cookies.set(SESSION_COOKIE, tokens.issue())
    with client.websocket_connect("/ui/socket") as socket:
        assert socket.receive_text() == "open"


def test_a_wrong_key_does_not_sign_in(client):
    response = sign_in(client, "wrong-key")
    assert response.status_code == 401 and "not right" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert client.get("/ui/gradio_api/info").status_code == 401


def test_signing_in_with_the_key_opens_every_ui_path(client):
    response = sign_in(client, next_path="/ui/?view=api")
    assert response.status_code == 303 and response.headers["location"] == "/ui/?view=api"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert KEY not in cookie  # a signed token, never the key itself
    for flag in ("HttpOnly", "SameSite=strict", "Path=/ui", "Max-Age=43200"):
        assert flag.lower() in cookie.lower(), cookie
    page = client.get("/ui/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Strategy Assistant" in page.text
    assert client.get("/ui/gradio_api/info").status_code == 200
    assert client.get("/ui/config").status_code == 200
    upload = client.post(
        "/ui/gradio_api/upload", files={"files": ("note.txt", b"Evening classes", "text/plain")}
    )
    assert upload.status_code == 200


def test_the_session_cookie_does_not_open_the_api(client):
    sign_in(client)
    assert client.get("/ui/gradio_api/info").status_code == 200
    assert client.get("/api/v1/documents").status_code == 401
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/docs").status_code == 401


def test_signing_out_clears_the_cookie(client):
    sign_in(client)
    response = client.get("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/ui/gradio_api/info").status_code == 401


def test_the_api_key_header_opens_the_ui_too(client):
    """Scripts (``gradio_client`` with ``headers=``) send the key as for the API."""
    for headers in ({"X-API-Key": KEY}, {"Authorization": f"Bearer {KEY}"}):
        assert client.get("/ui/gradio_api/info", headers=headers).status_code == 200
    assert client.get("/ui/gradio_api/info", headers={"X-API-Key": "nope"}).status_code == 401


@pytest.mark.parametrize(
    "token",
    ["", "v1.9999999999.abc.forged", "garbage", "v1.1.abc.sig", "x" * 500],
)
def test_forged_or_odd_cookies_are_refused(client, token):
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/ui/gradio_api/info").status_code == 401


def test_tokens_expire_and_die_with_the_key():
    tokens = SessionTokens(KEY, 3600)
    token = tokens.issue(now=1000.0)
    assert tokens.valid(token, now=1000.0 + 3599)
    assert not tokens.valid(token, now=1000.0 + 3600)
    assert not SessionTokens("another-key", 3600).valid(token, now=1001.0)
    body, _, signature = token.rpartition(".")
    longer = body.replace("v1.4600", "v1.9600")
    assert not tokens.valid(f"{longer}.{signature}", now=1001.0)


def test_session_signatures_are_compared_in_constant_time(client, monkeypatch):
    calls = []
    real = security.hmac.compare_digest
    monkeypatch.setattr(
        security.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b)
    )
    client.cookies.set(SESSION_COOKIE, "v1.9999999999.abc.forged")
    assert client.get("/ui/gradio_api/info").status_code == 401
    assert calls and calls[0][0] == b"forged"


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/ui", "/api/v1/documents", "/ui\\..\\x"]
)
def test_sign_in_only_returns_to_the_ui(client, next_path):
    response = sign_in(client, next_path=next_path)
    assert response.status_code == 303 and response.headers["location"] == "/ui/"


def test_health_stays_open(client):
    assert client.get("/health").status_code == 200


def test_without_a_key_the_ui_is_open_as_before(service):
    settings = service.settings.model_copy(update={"api_key": None, "ui_enabled": True})
    with TestClient(create_server(settings, service), follow_redirects=False) as client:
        assert client.get("/ui/", headers={"Accept": "text/html"}).status_code == 200
        assert client.get("/ui/gradio_api/info").status_code == 200
        assert client.get("/api/v1/documents").status_code == 200
        assert client.get("/login").status_code == 404  # no sign-in page without a key
