"""The one server module: the HTTP API and the web UI mounted on it, over one service.

The top edge: it imports the API and the UI, which never import each other. ``serve`` runs
``create_server``; tests that need only the API use ``assistant.api.app.create_app``. The UI is
mounted inside the API app, so the API's key check (``assistant.api.security``) guards every
/ui path too: with a key set, a browser signs in at /login first.
"""

from __future__ import annotations

from fastapi import FastAPI

from assistant.api.app import create_app
from assistant.application.service import AssistantService
from assistant.core.settings import Settings


def create_server(
    settings: Settings | None = None, service: AssistantService | None = None
) -> FastAPI:
    """The API, plus the Gradio UI at /ui when ``settings.ui_enabled``."""
    settings = settings or Settings()
    app = create_app(settings, service)
    if settings.ui_enabled:
        from ui.gradio_app import mount_ui  # imported only here: Gradio is heavy

        app = mount_ui(app, app.state.service)
    return app
