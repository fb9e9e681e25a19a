"""The one server module: the HTTP API and the web UI mounted on it, over one service.

The top edge: it imports the API and the UI, which never import each other. ``serve`` runs
``create_server``; tests that need only the API use ``assistant.api.app.create_app``. The UI is
mounted inside the API app, so the API's key check (``assistant.api.security``) guards every
/ui path too: with a key set, a browser signs in at /login first.

``serve(workers=N)`` with N > 1 runs N API processes on one port over one data folder (uvicorn
shares the listening socket between them). Three things make that safe:

- Chroma becomes one ``chroma run`` process over the folder's own Chroma files (the embedded
  store is private to one process); every worker, and any CLI run on the folder meanwhile,
  goes through it.
- The UI runs in one more process of its own on ``port + 1``, and /ui on the workers redirects
  there: Gradio keeps each browser session in one process's memory, so its requests must not
  be spread over workers. The sign-in cookie is not tied to a port, and the UI process checks
  it with the same key.
- Everything else already works across processes: the write lock is an ``flock``, the registry
  is SQLite with a generation every reader checks per question, BM25 builds are published
  atomically, and answer caches are keyed by the generation.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import subprocess
import sys

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from assistant.api.app import create_app
from assistant.application.service import AssistantService
from assistant.application.shared_index import shared_chroma
from assistant.core.settings import Settings

logger = logging.getLogger("assistant.server")


def create_server(
    settings: Settings | None = None, service: AssistantService | None = None
) -> FastAPI:
    """The API, plus the Gradio UI at /ui when ``settings.ui_enabled`` (or, with
    ``settings.ui_port``, a redirect to the one process that serves it)."""
    settings = settings or Settings()
    app = create_app(settings, service)
    if settings.ui_enabled and settings.ui_port:
        _redirect_ui(app, settings.ui_port)
    elif settings.ui_enabled:
        from ui.gradio_app import mount_ui  # imported only here: Gradio is heavy

        app = mount_ui(app, app.state.service)
    return app


def worker_app() -> FastAPI:
    """uvicorn's app factory for each ``serve --workers`` process (settings from the
    environment the parent set)."""
    app = create_server(Settings())
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Move every object alive once the service is built (models, ONNX session, PyTorch and
    library modules: ~560k objects the garbage collector tracks) out of the collector's
    reach, so a full collection no longer walks them: one fell in about one question in
    300, ~235 ms each (docs/BENCHMARKS.md, Query latency). Garbage collected first, so only
    live objects are frozen; they are still freed by reference counting."""
    gc.collect()
    gc.freeze()


def _redirect_ui(app: FastAPI, ui_port: int) -> None:
    def to_ui(request: Request) -> RedirectResponse:
        url = request.url.replace(port=ui_port)
        return RedirectResponse(str(url), status_code=307)

    app.add_api_route("/ui", to_ui, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route(
        "/ui/{path:path}", to_ui, methods=["GET", "HEAD", "POST"], include_in_schema=False
    )


def _check_ui_port(host: str, port: int) -> None:
    """Refuse before starting anything when the UI process could not listen on port + 1."""
    if port == 0:
        raise RuntimeError(
            "serve --workers needs a fixed --port (the web UI is served on port + 1)."
        )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port + 1))
        except OSError as exc:
            raise RuntimeError(
                f"Port {port + 1} on {host} is in use ({exc.strerror}); with --workers the web "
                "UI is served on port + 1: choose another --port, or set "
                "ASSISTANT_UI_ENABLED=false."
            ) from None


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve until interrupted: one process, or ``workers`` API processes plus the Chroma
    server and the UI process they share (all stopped when this returns)."""
    import uvicorn

    if workers <= 1:
        app = create_server(settings)
        freeze_startup_objects()
        uvicorn.run(app, host=host, port=port, log_level="info")
        return
    if settings.ui_enabled:
        _check_ui_port(host, port)
    chroma = shared_chroma(settings)
    ui: subprocess.Popen | None = None
    try:
        if chroma is not None:
            os.environ["ASSISTANT_CHROMA_URL"] = chroma.url or ""
        os.environ["ASSISTANT_WORKERS"] = "1"
        if settings.ui_enabled:
            ui_port = port + 1
            command = [sys.executable, "-m", "assistant", "serve", "--host", host]
            ui = subprocess.Popen([*command, "--port", str(ui_port)])
            os.environ["ASSISTANT_UI_PORT"] = str(ui_port)
        uvicorn.run(
            "assistant.server:worker_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )
    finally:
        if ui is not None:
            ui.terminate()
            try:
                ui.wait(timeout=30)
            except subprocess.TimeoutExpired:
                ui.kill()
        if chroma is not None:
            chroma.stop()
