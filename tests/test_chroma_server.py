"""Scale-out: ingest and answer through a real Chroma server (`chroma run`) instead of the
embedded store, with the real model, and ask through the API."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.service import AssistantService
from assistant.settings import Settings
from tests.conftest import CORPUS
from tests.test_api_support import APPRENTICESHIPS, client_for, free_port

pytestmark = pytest.mark.integration
STARTUP_TIMEOUT = 90.0


def chroma_cli() -> str:
    beside_python = Path(sys.executable).with_name("chroma")
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    assert found, "the `chroma` CLI (installed with the chromadb package) is missing"
    return found


@pytest.fixture
def chroma_url(tmp_path):
    port = free_port()
    log_path = tmp_path / "chroma.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                chroma_cli(),
                "run",
                "--path",
                str(tmp_path / "chroma-server"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"chroma exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"chroma not ready in {STARTUP_TIMEOUT}s:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


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
