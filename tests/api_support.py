"""Helpers shared by the API tests (this module holds no tests itself)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.application.service import AssistantService
from assistant.core.settings import Settings
from tests.conftest import CORPUS

CITATION_KEYS = {
    "n",
    "chunk_id",
    "doc_id",
    "title",
    "section",
    "page",
    "start",
    "end",
    "text",
    "score",
    "sentence_start",
    "sentence_end",
}
APPRENTICESHIPS = "What did partners say about apprenticeships?"


def fake_corpus_service(data_dir: Path, **overrides) -> AssistantService:
    """A service on fake embeddings with the seed corpus ingested (about a second)."""
    settings = Settings(
        data_dir=data_dir, embedding_model="fake:64", corpus_dir=CORPUS, ui_enabled=False
    )
    service = AssistantService(settings.model_copy(update=overrides))
    service.ingest_folder(CORPUS)
    return service


def client_for(service: AssistantService, **overrides) -> TestClient:
    """A TestClient over ``service``; ``overrides`` change the app's settings (never the UI)."""
    settings = service.settings.model_copy(update={"ui_enabled": False, **overrides})
    return TestClient(create_app(settings, service), raise_server_exceptions=False)


def parse_sse(text: str) -> list[tuple[str | None, str]]:
    """(event, data) pairs of a text/event-stream body, in order."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[len("event:") :].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:") :].removeprefix(" "))
        events.append((event, "\n".join(data)))
    return events


def sse_json(text: str) -> list[tuple[str | None, object]]:
    return [(e, d if d == "[DONE]" else json.loads(d)) for e, d in parse_sse(text)]
