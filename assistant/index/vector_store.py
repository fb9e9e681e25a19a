"""Chroma as the dense vector index: embedded (PersistentClient) or a server (HttpClient).

Only ids, vectors and filterable metadata live here; text and offsets are in the registry.
Vectors are unit length, so Chroma's default L2 distance maps to cosine: cos = 1 - d / 2.

A Chroma server can stop answering (frozen, killed, restarting). Every call to it is bounded by
``timeout`` seconds, and a refused, failed or timed-out call raises ``IndexUnavailable``
instead of hanging or surfacing as an unexplained error. After a failure calls fail at once for
a short cool-down (so a frozen server does not tie up a thread per request), then the next call
tries the server again: the service recovers by itself when Chroma returns. The embedded store
has no network in between and behaves as before (no timeout, no mapping).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import httpx
import numpy as np

from assistant.core.errors import IndexUnavailable
from assistant.index.chroma_server import running_server_url

logger = logging.getLogger("assistant.index")
T = TypeVar("T")
HEALTH_PROBE_SECONDS = 2.0  # /health answers within about this long, even if Chroma is frozen


def _server_url(chroma_url: str) -> tuple[str, int, bool]:
    parsed = urlparse(chroma_url)
    if not parsed.hostname:
        raise ValueError(f"ASSISTANT_CHROMA_URL={chroma_url!r} is not a URL like http://host:8001")
    ssl = parsed.scheme == "https"
    return parsed.hostname, parsed.port or (443 if ssl else 8000), ssl


def make_chroma_client(chroma_url: str | None, path: Path, timeout: float | None = None):
    """A Chroma client for a server URL, or an embedded one persisting under ``path`` (or the
    server ``serve --workers`` runs over ``path``, while it runs).

    With a server, ``timeout`` bounds each HTTP call (chromadb's own client waits forever);
    a server that does not answer the first heartbeat in time raises ``IndexUnavailable``.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not chroma_url:
        # `serve --workers N` runs a Chroma server over these files: go through it, never
        # open them underneath it (an embedded client would not see its writes).
        chroma_url = running_server_url(path)
        if chroma_url:
            logger.info("Using the Chroma server serving %s at %s", path, chroma_url)
    if chroma_url:
        host, port, ssl = _server_url(chroma_url)
        if timeout is not None:
            # The HttpClient constructor already calls the server, before its timeout is set.
            probe = RemoteProbe(host, port, ssl)
            reason = probe.failure(timeout)
            if reason:
                raise IndexUnavailable(
                    f"The Chroma server at {probe.base} did not answer ({reason}); start it or "
                    "fix ASSISTANT_CHROMA_URL.",
                    retry_after=max(1, math.ceil(timeout)),
                )
        try:
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
        except httpx.TransportError as exc:
            raise IndexUnavailable(
                f"The Chroma server at {chroma_url} did not answer ({_describe(exc)})."
            ) from exc
        if timeout is not None:
            _bound_http_session(client, timeout)
        return client
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def _bound_http_session(client, timeout: float) -> None:
    """Give the chromadb HttpClient's httpx session a timeout.

    chromadb (1.5) builds ``httpx.Client(timeout=None)`` and has no setting for it, so the
    session it keeps is given one here; the Chroma-server integration test catches a change.
    """
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout)
    else:  # pragma: no cover - a chromadb release that moved its session
        logger.warning("Cannot set a timeout on this chromadb client; Chroma calls are unbounded")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer in time: {type(exc).__name__}"
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"


class RemoteProbe:
    """A heartbeat with its own short timeout, so /health can tell at once that Chroma is down."""

    def __init__(self, host: str, port: int, ssl: bool) -> None:
        self.base = f"{'https' if ssl else 'http'}://{host}:{port}"

    def failure(self, timeout: float) -> str | None:
        """None when the server answers its heartbeat within ``timeout``; else why not."""
        try:
            response = httpx.get(f"{self.base}/api/v2/heartbeat", timeout=timeout)
        except httpx.TransportError as exc:
            return _describe(exc)
        return None if response.status_code == 200 else f"heartbeat HTTP {response.status_code}"


def _remote_probe(client) -> RemoteProbe | None:
    """The probe for a server client; None for the embedded store."""
    try:
        settings = client.get_settings()
    except Exception:
        return None
    if not str(getattr(settings, "chroma_api_impl", "")).endswith("fastapi.FastAPI"):
        return None
    return RemoteProbe(
        str(settings.chroma_server_host),
        int(settings.chroma_server_http_port or 8000),
        bool(settings.chroma_server_ssl_enabled),
    )


def _session_timeout(client) -> float | None:
    session = getattr(getattr(client, "_server", None), "_session", None)
    read = getattr(getattr(session, "timeout", None), "read", None)
    return float(read) if read else None


class _Breaker:
    """After a failed call, fail the next calls at once for ``cooldown`` seconds."""

    def __init__(self, cooldown: float) -> None:
        self.cooldown = cooldown
        self._until = 0.0
        self._reason = ""
        self._lock = threading.Lock()

    def check(self, where: str) -> None:
        with self._lock:
            remaining = self._until - time.monotonic()
            reason = self._reason
        if remaining > 0:
            raise IndexUnavailable(
                f"The vector index ({where}) is unavailable: {reason}. Retry shortly.",
                retry_after=max(1, math.ceil(remaining)),
            )

    def trip(self, reason: str) -> int:
        with self._lock:
            self._until = time.monotonic() + self.cooldown
            self._reason = reason
        return max(1, math.ceil(self.cooldown))

    def reset(self) -> None:
        with self._lock:
            self._until = 0.0


class ChromaVectorStore:
    """Upsert, delete and query passage vectors in one Chroma collection."""

    def __init__(self, client, collection: str) -> None:
        if not collection:
            raise ValueError("collection name must not be empty")
        self.client = client
        self._probe = _remote_probe(client)
        timeout = _session_timeout(client) if self._probe else None
        self._probe_timeout = min(HEALTH_PROBE_SECONDS, timeout or HEALTH_PROBE_SECONDS)
        self._breaker = _Breaker(cooldown=min(5.0, max(1.0, timeout or 5.0)))
        self.collection = self._call(lambda: client.get_or_create_collection(collection))
        try:
            self._batch = int(self._call(client.get_max_batch_size))
        except IndexUnavailable:
            raise
        except Exception:  # older servers do not report it
            self._batch = 1000

    @property
    def remote(self) -> bool:
        return self._probe is not None

    def _call(self, call: Callable[[], T]) -> T:
        """Run one Chroma call; with a server, map its failures to ``IndexUnavailable``."""
        if self._probe is None:
            return call()
        from chromadb.errors import ChromaError

        self._breaker.check(self._probe.base)
        try:
            result = call()
        except httpx.TransportError as exc:
            reason = _describe(exc)
        except ChromaError as exc:
            if exc.code() < 500:
                raise
            reason = f"server error: {_describe(exc)}"
        else:
            self._breaker.reset()
            return result
        retry_after = self._breaker.trip(reason)
        logger.warning("Chroma server at %s failed: %s", self._probe.base, reason)
        raise IndexUnavailable(
            f"The vector index (Chroma server at {self._probe.base}) is unavailable: {reason}. "
            f"Retry in {retry_after} s.",
            retry_after=retry_after,
        )

    def check_available(self) -> None:
        """Raise ``IndexUnavailable`` unless the server answers a heartbeat quickly (health)."""
        if self._probe is None:
            return
        self._breaker.check(self._probe.base)
        reason = self._probe.failure(self._probe_timeout)
        if reason is None:
            self._breaker.reset()
            return
        retry_after = self._breaker.trip(reason)
        raise IndexUnavailable(
            f"The vector index (Chroma server at {self._probe.base}) is unavailable: {reason}.",
            retry_after=retry_after,
        )

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict]) -> None:
        for start in range(0, len(ids), self._batch):
            stop = start + self._batch
            self._call(
                lambda start=start, stop=stop: self.collection.upsert(
                    ids=list(ids[start:stop]),
                    embeddings=np.asarray(vectors[start:stop], dtype=np.float32),
                    metadatas=list(metadatas[start:stop]),
                )
            )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), self._batch):
            batch = ids[start : start + self._batch]
            self._call(lambda batch=batch: self.collection.delete(ids=batch))

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, page = 0, 5000
        while True:
            batch = self._call(
                lambda offset=offset: self.collection.get(include=[], limit=page, offset=offset)
            )["ids"]
            ids.update(batch)
            if len(batch) < page:
                return ids
            offset += page

    def count(self) -> int:
        return int(self._call(self.collection.count))

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
        result = self._call(
            lambda: self.collection.query(
                query_embeddings=np.asarray([vector], dtype=np.float32),
                n_results=max(1, k),
                where=where,
                include=["distances"],
            )
        )
        ids = result["ids"][0]
        distances = result["distances"][0]
        return [(i, 1.0 - float(d) / 2.0) for i, d in zip(ids, distances, strict=True)]
