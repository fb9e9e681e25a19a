"""The fast tier runs on fakes: loading the real embedding model here fails the test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_real_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.index import embeddings

    def refuse(self, model: str = embeddings.BUNDLED, *args, **kwargs) -> None:
        path = embeddings.resolve_model_path(model)  # a bad path fails as it does in the app
        pytest.fail(
            f"a unit test loaded the real model ({path}): give it fake embeddings "
            "(fake_settings, embedding_model='fake:64') or move it to tests/integration/",
            pytrace=False,
        )

    monkeypatch.setattr(embeddings.SentenceTransformerEmbeddings, "__init__", refuse)
