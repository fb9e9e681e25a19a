"""The web UI behind the API key, against a real ``serve`` process on loopback (issue 12, item 1).

The hostile probe from the issue: with ``ASSISTANT_API_KEY`` set, an unauthenticated
``gradio_client.Client("http://HOST/ui/")`` replaced a corpus document and asked questions, and
``POST /ui/gradio_api/upload`` stored any file in Gradio's temp folder. Here the same client and
raw HTTP calls are refused and write nothing; after signing in (the key as a header, or the
session cookie from /login) the UI works, and replacing a document still asks first.

The server runs on fake embeddings (the model is not what is tested) over a private data folder
with the seed corpus ingested, and Gradio's temp folder is a private one the test can inspect.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import gradio_client
import httpx
import pytest
from gradio_client import handle_file

from assistant.core.settings import PROJECT_ROOT
from tests.api_support import fake_corpus_service
from tests.servers import free_port, running_process, serve_command

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
KEY = "ui-server-test-key"
MID_TERM = "city-of-london-mid-term-review"
HIJACK = "# Hijack\n\nApprenticeships: the planted text says the offer was abolished.\n"
NO_FILTERS = ([], [], [], [], "", "")  # the Add button's filter inputs, as the page sends them


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui-auth-server")
    data_dir, uploads = root / "data", root / "gradio-tmp"
    uploads.mkdir()
    fake_corpus_service(data_dir).close()  # the seed corpus on fake embeddings
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_EMBEDDING_MODEL": "fake:64",
        "ASSISTANT_UI_ENABLED": "true",
        "ASSISTANT_API_KEY": KEY,
        "ASSISTANT_LLM": "none",
        "GRADIO_TEMP_DIR": str(uploads),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    base = f"http://127.0.0.1:{port}"
    with running_process(
        serve_command(port), f"{base}/health", root / "server.log", env=env, cwd=PROJECT_ROOT
    ):
        yield {"url": base, "uploads": uploads}


@pytest.fixture
def api(server):
    with httpx.Client(base_url=server["url"], headers={"X-API-Key": KEY}, timeout=60) as client:
        yield client


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def mid_term(api) -> dict:
    return api.get(f"/api/v1/documents/{MID_TERM}").json()


def hijack_file(tmp_path: Path) -> str:
    path = tmp_path / f"{MID_TERM}.txt"
    path.write_text(HIJACK, encoding="utf-8")
    return str(path)


def test_gradio_client_without_a_sign_in_is_refused(server, api):
    before = mid_term(api)
    with pytest.raises(Exception) as refused:
        gradio_client.Client(f"{server['url']}/ui/", verbose=False, download_files=False)
    assert "credentials" in str(refused.value).lower() or "401" in str(refused.value)
    assert mid_term(api) == before


def test_raw_gradio_calls_without_a_sign_in_are_refused_and_write_nothing(server, api):
    before, files_before = mid_term(api), files_under(server["uploads"])
    with httpx.Client(base_url=server["url"], timeout=30) as anonymous:
        upload = anonymous.post(
            "/ui/gradio_api/upload",
            files={"files": (f"{MID_TERM}.txt", HIJACK.encode(), "text/plain")},
        )
        join = anonymous.post(
            "/ui/gradio_api/queue/join",
            json={"data": [], "fn_index": 0, "session_hash": "probe", "event_data": None},
        )
        stream = anonymous.get("/ui/gradio_api/queue/data", params={"session_hash": "probe"})
        call = anonymous.post("/ui/gradio_api/call/add", json={"data": []})
        page = anonymous.get("/ui/", headers={"Accept": "text/html"}, follow_redirects=False)
        health = anonymous.get("/health")
    assert [r.status_code for r in (upload, join, stream, call)] == [401, 401, 401, 401]
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert health.status_code == 200
    assert files_under(server["uploads"]) == files_before
    assert mid_term(api) == before


def wait_for_last_job(api, timeout: float = 120.0) -> dict:
    """The newest upload job, once it has ended (the UI polls it the same way)."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = api.get("/api/v1/jobs").json()["jobs"]
        if jobs and jobs[0]["state"] in ("succeeded", "failed", "cancelled"):
            return jobs[0]
        assert time.monotonic() < deadline, jobs[:1]
        time.sleep(0.5)


def test_with_the_key_gradio_client_works_and_replacing_still_asks_first(server, api, tmp_path):
    before = mid_term(api)
    client = gradio_client.Client(
        f"{server['url']}/ui/", headers={"X-API-Key": KEY}, verbose=False, download_files=False
    )
    hijack = hijack_file(tmp_path)
    asked = client.predict(handle_file(hijack), *NO_FILTERS, api_name="/add")
    assert "Replace it with this file?" in asked[0]
    assert mid_term(api) == before  # nothing changed until the user confirms
    replaced = client.predict(handle_file(hijack), *NO_FILTERS, api_name="/replace")
    assert "Adding" in replaced[0]  # the UI runs the replacement as a background job
    job = wait_for_last_job(api)
    assert job["state"] == "succeeded" and job["result"]["status"] == "updated", job
    after = mid_term(api)
    assert after["meta"]["title"] == before["meta"]["title"]  # curated metadata kept
    assert after["meta"]["organisation"] == before["meta"]["organisation"]
    assert after["content_hash"] != before["content_hash"]
    entries = api.get("/api/v1/audit", params={"doc_id": MID_TERM}).json()["entries"]
    assert [(e["action"], e["result"], e["via"]) for e in entries[:2]] == [
        ("replace", "updated", "ui"),
        ("upload", "name_conflict", "ui"),
    ]
    assert entries[0]["client"] == "127.0.0.1"


def test_a_browser_signs_in_once_and_the_cookie_opens_the_ui(server):
    with httpx.Client(base_url=server["url"], timeout=60) as browser:
        wrong = browser.post("/login", data={"key": "not-the-key", "next": "/ui/"})
        assert wrong.status_code == 401 and "sa_session" not in browser.cookies
        signed_in = browser.post("/login", data={"key": KEY, "next": "/ui/"})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/ui/"
        token = browser.cookies["sa_session"]
        assert browser.get("/ui/", headers={"Accept": "text/html"}).status_code == 200
        upload = browser.post(
            "/ui/gradio_api/upload", files={"files": ("note.txt", b"Evening classes", "text/plain")}
        )
        assert upload.status_code == 200
        assert browser.get("/api/v1/documents").status_code == 401  # the API wants the key
    client = gradio_client.Client(
        f"{server['url']}/ui/",
        httpx_kwargs={"cookies": {"sa_session": token}},
        verbose=False,
        download_files=False,
    )
    compared = client.predict(
        "What did partners say about apprenticeships?", [MID_TERM], api_name="/on_compare"
    )
    assert "Choose at least two documents" in compared  # the handler ran: the call was let in
