"""Shared fixtures: fakes for fast unit tests, the real model and corpus for integration tests.

The folder is the tier: everything under tests/unit/ is marked ``unit`` and runs on fakes
(``make test-fast``); everything under tests/integration/ is marked ``integration``. A unit test
that asks for a real-model fixture is a collection error, and tests/unit/conftest.py fails any
unit test that loads the real model some other way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.core.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
TESTS = Path(__file__).resolve().parent
REAL_FIXTURES = frozenset({"real_embeddings", "real_data_dir", "corpus_service"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    misplaced = []
    for item in items:
        tier = Path(item.path).resolve().relative_to(TESTS).parts[0]
        if tier == "unit":
            item.add_marker(pytest.mark.unit)
            if REAL_FIXTURES & set(item.fixturenames) or item.get_closest_marker("integration"):
                misplaced.append(item.nodeid)
        elif tier == "integration":
            item.add_marker(pytest.mark.integration)
    if misplaced:
        raise pytest.UsageError(
            "Unit tests run on fakes; move these to tests/integration/ (they use the real model "
            "or are marked integration):\n  " + "\n  ".join(misplaced)
        )


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
