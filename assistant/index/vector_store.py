"""Chroma as the dense vector index: embedded (PersistentClient) or a server (HttpClient).

Only ids, vectors and filterable metadata live here; text and offsets are in the registry.
Vectors are unit length, so Chroma's default L2 distance maps to cosine: cos = 1 - d / 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import numpy as np


def make_chroma_client(chroma_url: str | None, path: Path):
    """A Chroma client for a server URL, or an embedded one persisting under ``path``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        parsed = urlparse(chroma_url)
        if not parsed.hostname:
            raise ValueError(
                f"ASSISTANT_CHROMA_URL={chroma_url!r} is not a URL like http://host:8001"
            )
        return chromadb.HttpClient(
            host=parsed.hostname,
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=chroma_settings,
        )
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class ChromaVectorStore:
    """Upsert, delete and query passage vectors in one Chroma collection."""

    def __init__(self, client, collection: str) -> None:
        if not collection:
            raise ValueError("collection name must not be empty")
        self.client = client
        self.collection = client.get_or_create_collection(collection)
        try:
            self._batch = int(client.get_max_batch_size())
        except Exception:  # older servers do not report it
            self._batch = 1000

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict]) -> None:
        for start in range(0, len(ids), self._batch):
            stop = start + self._batch
            self.collection.upsert(
                ids=list(ids[start:stop]),
                embeddings=np.asarray(vectors[start:stop], dtype=np.float32),
                metadatas=list(metadatas[start:stop]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), self._batch):
            self.collection.delete(ids=ids[start : start + self._batch])

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, page = 0, 5000
        while True:
            batch = self.collection.get(include=[], limit=page, offset=offset)["ids"]
            ids.update(batch)
            if len(batch) < page:
                return ids
            offset += page

    def count(self) -> int:
        return int(self.collection.count())

    def query(
        self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest ``k`` ids with cosine similarity, optionally only within ``doc_ids``."""
        if doc_ids is not None and not doc_ids:
            return []
        where = None
        if doc_ids is not None:
            where = (
                {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
            )
        result = self.collection.query(
            query_embeddings=np.asarray([vector], dtype=np.float32),
            n_results=max(1, k),
            where=where,
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = result["distances"][0]
        return [(i, 1.0 - float(d) / 2.0) for i, d in zip(ids, distances, strict=True)]
