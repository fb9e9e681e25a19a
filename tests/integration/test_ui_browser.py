"""End to end: the real ``serve`` command, driven in headless Chromium through Playwright.

The server runs as a subprocess on a free port over a copy of the data folder that
``corpus_service`` ingested (so the test never writes to the shared index); Chromium comes from
Debian packages (``make browser``), not from ``playwright install``. Screenshots at laptop and
phone widths land in ``test-artifacts/``; any browser console error fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from assistant.core.settings import PROJECT_ROOT
from tests.servers import free_port, running_process, serve_command

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(900)]

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
QUESTION = "What did partners say about apprenticeships?"
STARTUP_SECONDS = 240
ANSWER_MS = 120_000
SLIDE_MS = 800
OPEN = re.compile(r"\bopen\b")


def chromium_path() -> str | None:
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def server(corpus_service, real_data_dir: Path, tmp_path_factory):
    """``python -m assistant serve`` on a free port, over a private copy of the ingested index."""
    root = tmp_path_factory.mktemp("ui-server")
    data_dir = root / "data"
    shutil.copytree(real_data_dir, data_dir)
    port = free_port()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_UI_ENABLED": "true"}
    env.pop("ASSISTANT_API_KEY", None)
    log = root / "server.log"
    url = f"http://127.0.0.1:{port}"
    with running_process(
        serve_command(port), f"{url}/ui/", log, env=env, cwd=PROJECT_ROOT, timeout=STARTUP_SECONDS
    ):
        yield {"url": url, "data_dir": data_dir, "log": log}


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


def open_page(browser, server, width: int, height: int):
    """A fresh page that records console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server["url"])
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"console: {m.text} {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.goto(f"{server['url']}/ui/")
    page.wait_for_selector("#sa-chat", timeout=60_000)
    return context, page, errors


def shot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def ask_and_open_citation(page) -> str:
    """Ask the question, follow [1] to its card and open it; returns the highlighted sentence."""
    box = page.get_by_label("Your question")
    box.fill(QUESTION)
    box.press("Enter")
    page.wait_for_selector("#sa-chat a.sa-ref", timeout=ANSWER_MS)
    answer = page.locator("#sa-chat .sa-answer").last
    assert "apprenticeships" in answer.inner_text().lower()
    page.locator("#sa-chat .sa-answer a.sa-ref").first.click()
    card = page.locator("#cite-c0-1")
    card.wait_for(state="visible")
    sentence = card.locator("mark.sa-support").inner_text()
    assert "apprenticeships" in sentence.lower()
    card.get_by_role("button", name="Show in document").click()
    focus = page.locator("#sa-viewer .sa-focus")
    focus.wait_for(state="visible", timeout=30_000)
    expect_viewer_open(page)
    page.wait_for_timeout(SLIDE_MS)
    assert " ".join(sentence.split()) in " ".join(focus.inner_text().split())
    assert focus.locator("mark.sa-support").count() == 1
    return sentence


def expect_viewer_open(page, is_open: bool = True) -> None:
    from playwright.sync_api import expect

    sidebar = expect(page.locator("#sa-sidebar"))
    if is_open:
        sidebar.to_have_class(OPEN)
    else:
        sidebar.not_to_have_class(OPEN)


def close_viewer(page) -> None:
    page.locator("#sa-sidebar .toggle-button").click()
    expect_viewer_open(page, False)
    page.wait_for_timeout(SLIDE_MS)  # let the panel finish sliding before a screenshot


def test_laptop_chat_citation_library_upload_and_compare(browser, server, tmp_path):
    context, page, errors = open_page(browser, server, 1366, 800)
    try:
        shot(page, "ui-laptop-1-empty")
        ask_and_open_citation(page)
        shot(page, "ui-laptop-2-answer-and-source", full_page=False)

        # Thumbs up lands in the server's feedback store.
        page.locator("#sa-chat button[aria-label='Like']").first.click()
        page.wait_for_timeout(1500)
        with sqlite3.connect(server["data_dir"] / "feedback.sqlite") as db:
            rows = db.execute("SELECT rating, question FROM feedback").fetchall()
        assert ("up", QUESTION) in rows

        # Copy as Markdown keeps the numbered sources.
        page.locator("[data-copy-md='md-c0']").click()
        page.wait_for_timeout(300)
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "[1]" in copied and "**Sources**" in copied and "1. *" in copied
        close_viewer(page)

        # Library: table, outline, recommendations opening their source.
        page.get_by_role("tab", name="Library").click()
        table = page.locator("#sa-library")
        table.get_by_text("Learning Strategy: report to Children's Scrutiny").wait_for()
        page.locator("#sa-outline .sa-outline li").first.wait_for()
        shot(page, "ui-laptop-3-library")
        page.get_by_role("tab", name="Recommendations").click()
        recommendation = page.locator("#sa-recommendations .sa-rec").first
        recommendation.get_by_role("button", name="Show in document").click()
        page.locator("#sa-viewer [data-chunk]").wait_for()
        expect_viewer_open(page)  # opens again after being closed
        page.wait_for_timeout(SLIDE_MS)
        assert "recommendation" in page.locator("#sa-viewer .sa-facts").inner_text()
        shot(page, "ui-laptop-4-recommendations", full_page=False)
        close_viewer(page)

        # Upload: shows up in the library table and the chat's document filter.
        page.get_by_role("tab", name="Add a document").click()
        upload = tmp_path / "wakefield-skills-plan.md"
        upload.write_text(
            "# Wakefield Skills Plan\n\n## Priorities\n\nWakefield will fund free bricklaying "
            "courses for adult learners from 2024, with employers offering placements.\n"
        )
        page.locator("#sa-upload input[type=file]").set_input_files(str(upload))
        page.get_by_role("button", name="Add to library").click()
        status = page.locator("#sa-upload-status .sa-msg-ok")
        status.wait_for(timeout=60_000)
        assert "Added" in status.inner_text()
        page.get_by_role("tab", name="Documents").click()
        page.locator("#sa-library").get_by_text("Wakefield Skills Plan").first.wait_for()

        # Compare: one cited column per chosen document.
        page.get_by_role("tab", name="Compare").click()
        page.get_by_role("button", name="Example: adult learning", exact=False).click()
        page.wait_for_selector("#sa-compare .sa-col", timeout=ANSWER_MS)
        columns = page.locator("#sa-compare .sa-col")
        assert columns.count() == 3
        names = columns.locator("h3").all_inner_texts()
        assert any("City of London" in n for n in names)
        assert any("Kirklees" in n for n in names)
        assert any("Greater Manchester" in n for n in names)
        assert sum(columns.nth(i).locator("a.sa-ref").count() > 0 for i in range(3)) >= 2
        shot(page, "ui-laptop-5-compare")
        assert errors == [], errors
    finally:
        context.close()


def test_narrow_width_chat_and_views(browser, server):
    context, page, errors = open_page(browser, server, 390, 844)
    try:
        shot(page, "ui-narrow-1-empty")
        ask_and_open_citation(page)
        shot(page, "ui-narrow-2-source", full_page=False)
        close_viewer(page)
        shot(page, "ui-narrow-3-answer")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page scrolls sideways by {overflow}px at 390px"
        page.get_by_role("tab", name="Library").click()
        page.locator("#sa-outline .sa-outline li").first.wait_for()
        shot(page, "ui-narrow-4-library")
        page.get_by_role("tab", name="Compare").click()
        page.get_by_role("button", name="Example: adult learning", exact=False).click()
        page.wait_for_selector("#sa-compare .sa-col", timeout=ANSWER_MS)
        shot(page, "ui-narrow-5-compare")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"compare view scrolls sideways by {overflow}px at 390px"
        assert errors == [], errors
    finally:
        context.close()
