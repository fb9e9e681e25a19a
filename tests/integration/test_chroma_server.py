"""Scale-out: ingest and answer through a real Chroma server (`chroma run`) instead of the
embedded store, with the real model, and ask through the API."""

from __future__ import annotations

import pytest

from assistant.application.service import AssistantService
from assistant.core.settings import Settings
from assistant.index.chroma_server import chroma_cli
from tests.api_support import APPRENTICESHIPS, client_for
from tests.conftest import CORPUS
from tests.servers import free_port, running_process

pytestmark = pytest.mark.integration
STARTUP_TIMEOUT = 90.0


@pytest.fixture
def chroma_url(tmp_path):
    port = free_port()
    command = [chroma_cli(), "run", "--path", str(tmp_path / "chroma-server")]
    url = f"http://127.0.0.1:{port}"
    with running_process(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        f"{url}/api/v2/heartbeat",
        tmp_path / "chroma.log",
        timeout=STARTUP_TIMEOUT,
    ):
        yield url


def server_vector_count(url: str, collection: str) -> int:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = int(url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(
        host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    return client.get_collection(collection).count()


def test_ingest_and_answer_through_a_chroma_server(chroma_url, tmp_path, real_embeddings):
    settings = Settings(
        chroma_url=chroma_url, data_dir=tmp_path / "data", corpus_dir=CORPUS, ui_enabled=False
    )
    service = AssistantService(settings, embeddings=real_embeddings)
    try:
        report = service.ingest_folder(CORPUS)
        assert len(report.added) == 5 and not report.skipped
        documents, chunks = service.store.registry.counts()
        # The vectors live in the server, not in an embedded store under the data folder.
        assert server_vector_count(chroma_url, settings.collection) == chunks > 0
        assert not (settings.index_dir / "chroma").exists()

        client = client_for(service)
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["vectors"] == chunks
        answer = client.post("/api/v1/ask", json={"question": APPRENTICESHIPS}).json()
        assert answer["abstained"] is False
        assert any(
            c["doc_id"] == "city-of-london-mid-term-review" and "apprenticeships offer" in c["text"]
            for c in answer["citations"]
        ), answer

        # Deleting through the API removes the document's vectors from the server too.
        removed = client.get("/api/v1/documents/birmingham-learning-city-survey").json()
        assert client.delete("/api/v1/documents/birmingham-learning-city-survey").status_code == 200
        assert server_vector_count(chroma_url, settings.collection) == (
            chunks - removed["chunk_count"]
        )
    finally:
        service.close()
