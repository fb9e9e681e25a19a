"""In headless Chromium: with an API key set, the UI sends the browser to /login; after signing
in with the key the whole Gradio app works on the session cookie (pages, config, the queue's
event stream, uploads), and an upload named like a library document asks before replacing it.

The server runs on fake embeddings over a private data folder (what is tested is the sign-in
and the confirm step, not answers); Chromium comes from Debian packages (``make browser``).
"""

from __future__ import annotations

import os

import pytest

from assistant.core.settings import PROJECT_ROOT
from tests.api_support import fake_corpus_service
from tests.integration.test_ui_browser import CHROMIUM_ARGS, chromium_path
from tests.servers import free_port, running_process, serve_command

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(600)]
KEY = "browser-login-test-key"
MID_TERM = "city-of-london-mid-term-review"
MID_TERM_TITLE = "Education, Cultural and Creative Learning and Skills Strategies"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui-login-server")
    data_dir = root / "data"
    fake_corpus_service(data_dir).close()  # the seed corpus on fake embeddings
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_EMBEDDING_MODEL": "fake:64",
        "ASSISTANT_UI_ENABLED": "true",
        "ASSISTANT_API_KEY": KEY,
        "ASSISTANT_LLM": "none",
        "GRADIO_TEMP_DIR": str(root / "gradio-tmp"),
    }
    url = f"http://127.0.0.1:{port}"
    with running_process(
        serve_command(port), f"{url}/health", root / "server.log", env=env, cwd=PROJECT_ROOT
    ):
        yield url


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not installed: run `make browser` (apt-get install chromium) as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_sign_in_then_replacing_a_document_asks_first(browser, server, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server}/ui/")
        assert page.url.startswith(f"{server}/login")
        page.get_by_label("Access key").fill("not-the-key")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("That key is not right").wait_for()
        errors.clear()  # the refused sign-in's 401 is logged by the browser; that is expected
        page.get_by_label("Access key").fill(KEY)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("#sa-chat", timeout=60_000)
        assert page.url == f"{server}/ui/"
        cookie = next(c for c in context.cookies() if c["name"] == "sa_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/ui"

        page.get_by_role("tab", name="Library").click()
        page.get_by_role("tab", name="Add a document").click()
        hijack = tmp_path / f"{MID_TERM}.txt"
        hijack.write_text("# Hijack\n\nPlanted text about apprenticeships.\n")
        page.locator("#sa-upload input[type=file]").set_input_files(str(hijack))
        page.get_by_role("button", name="Add to library").click()
        question = page.locator("#sa-upload-status .sa-msg-warning")
        question.wait_for(timeout=60_000)
        assert "Replace it with this file?" in question.inner_text()
        page.get_by_role("button", name="Keep the existing document").click()
        page.locator("#sa-upload-status .sa-msg-ok").get_by_text("Nothing was changed").wait_for()

        page.get_by_role("button", name="Add to library").click()
        question.wait_for(timeout=60_000)
        page.get_by_role("button", name="Replace it with this file").click()
        done = page.locator("#sa-upload-status .sa-msg-ok")
        done.get_by_text("Replaced").wait_for(timeout=60_000)
        assert MID_TERM_TITLE in done.inner_text()  # the curated title was kept
        assert errors == []

        page.get_by_role("link", name="Sign out").click()
        page.wait_for_url(f"{server}/login", timeout=30_000)
        page.goto(f"{server}/ui/")
        assert page.url.startswith(f"{server}/login")
    finally:
        context.close()
