"""Shared fixtures: fakes for fast unit tests, the real model and corpus for integration tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.core.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    """Settings on the test profile: fake embeddings, a private data folder."""
    return Settings(data_dir=tmp_path / "data", embedding_model="fake:64", corpus_dir=CORPUS)


@pytest.fixture
def fake_service(fake_settings: Settings):
    from assistant.application.service import AssistantService

    service = AssistantService(fake_settings)
    yield service
    service.close()


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed corpus (with its manifest)."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def real_embeddings():
    from assistant.index.embeddings import SentenceTransformerEmbeddings

    return SentenceTransformerEmbeddings()


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("real") / "data"


@pytest.fixture(scope="session")
def corpus_service(real_embeddings, real_data_dir):
    """The seed corpus ingested once with the bundled model into a real Chroma directory."""
    from assistant.application.service import AssistantService

    settings = Settings(data_dir=real_data_dir, corpus_dir=CORPUS)
    service = AssistantService(settings, embeddings=real_embeddings)
    service.ingest_folder(CORPUS)
    yield service
    service.close()
