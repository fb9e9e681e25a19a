"""The three parts of the index opened together, with the keyword index kept current.

Writes go through ``writing()``: one writer at a time, in this process and across processes
on one data folder (``WriteLock``). Readers take no write lock. They read the registry (the
truth, committed in SQLite transactions), Chroma (whose extra ids the registry filters out) and
the newest complete BM25 build; a BM25 build one commit behind is served until the writer
publishes the new one (its passages the registry no longer knows are dropped by the retriever),
so a question during an upload or delete answers from the old index or the new, never a half.

With a shared database (ASSISTANT_DATABASE_URL) the registry and the writer lock are shared by
every server, and this folder's BM25 build is only this server's cache of what the registry
holds: a reader that finds it behind the registry's generation rebuilds it at once, under a
lock on this folder alone (``bm25.lock``), never waiting for the global writer, so a commit on
server A is searchable on server B at B's next question.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.core.errors import IndexBusyError
from assistant.core.models import DocumentMeta
from assistant.core.settings import Settings
from assistant.index.keyword_index import KeywordIndex
from assistant.index.registry import Registry
from assistant.index.registry_factory import open_registry, open_write_lock
from assistant.index.sentence_index import SentenceIndex
from assistant.index.vector_store import ChromaVectorStore, make_chroma_client
from assistant.index.write_lock import FlockLock

logger = logging.getLogger("assistant.index")


class IndexStore:
    """Registry (truth) + Chroma (dense) + BM25 (keywords), under ``settings.index_dir`` or
    shared (a Chroma server and a database)."""

    def __init__(self, settings: Settings, registry: Registry, vectors: ChromaVectorStore) -> None:
        self.settings = settings
        self.registry = registry
        self.vectors = vectors
        self._keyword: KeywordIndex | None = None
        self._documents: tuple[int, dict[str, DocumentMeta]] = (-1, {})
        self._sentences: SentenceIndex | None = None
        self._lock = threading.Lock()  # readers: one loads or builds an in-memory index at a time
        self.writer = open_write_lock(settings)
        # the registry is shared: the BM25 folder is this server's cache, rebuilt by readers
        self.shared = settings.database_url is not None
        self._cache_lock: FlockLock | None = None
        self._cache_threads = threading.Lock()

    @classmethod
    def open(cls, settings: Settings) -> IndexStore:
        index_dir = settings.index_dir
        registry = open_registry(settings)
        client = make_chroma_client(
            settings.chroma_url, index_dir / "chroma", settings.chroma_timeout
        )
        return cls(settings, registry, ChromaVectorStore(client, settings.collection))

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Be the one writer of this index until the block ends (reentrant); raises
        ``IndexBusyError`` when another write holds it past ``write_lock_timeout``."""
        with self.writer.hold():
            yield

    def document_metas(self, generation: int | None = None) -> dict[str, DocumentMeta]:
        """Metadata of every indexed document, cached until the registry changes.
        ``generation``: the registry's, when the caller has just read it (one question reads
        it once, not once per index part: each read is an SQL query)."""
        cached_generation, metas = self._documents
        if generation is None or cached_generation != generation:
            generation = self.registry.generation()
        if cached_generation != generation:
            with self.registry.snapshot():
                generation = self.registry.generation()
                metas = {d.meta.doc_id: d.meta for d in self.registry.documents()}
            self._documents = (generation, metas)
        return metas

    def document_sources(self) -> dict[str, str | None]:
        """Each document's source path: from the cached metadata when it is current (a
        dictionary pass), else read without parsing any metadata (one query)."""
        cached_generation, metas = self._documents
        if cached_generation == self.registry.generation():
            return {doc_id: meta.source_path for doc_id, meta in metas.items()}
        return self.registry.document_sources()

    def sentence_index(self, generation: int | None = None) -> SentenceIndex:
        """Every sentence vector in memory, reloaded when the registry changes (``generation``:
        as for ``document_metas``)."""
        current = self._sentences
        if generation is None or current is None or current.generation != generation:
            generation = self.registry.generation()  # not what was loaded: read it afresh
        if current is None or current.generation != generation:
            with self._lock:
                current = self._sentences
                if current is None or current.generation != generation:
                    with self.registry.snapshot():  # the generation and its rows, together
                        current = SentenceIndex.from_registry(self.registry)
                    self._sentences = current
        return current

    @property
    def keyword_dir(self):
        return self.settings.index_dir / "bm25"

    def keyword_index(self, generation: int | None = None) -> KeywordIndex:
        """The BM25 index for the registry's current generation, or the newest complete one
        while a writer is still building it (``generation``: as for ``document_metas``).

        Loaded from disk when another process (or an earlier run) saved a newer build; rebuilt
        here only when it is stale and no writer is at work (an ingest stopped before it).
        """
        current = self._keyword
        if current is not None and generation is not None and current.generation == generation:
            return current
        generation = self.registry.generation()
        if current is not None and current.generation == generation:
            return current
        with self._lock:
            current = self._keyword
            if current is None or current.generation < generation:
                saved = KeywordIndex.saved_generation(self.keyword_dir)
                if saved is not None and (current is None or saved > current.generation):
                    current = KeywordIndex.load(self.keyword_dir) or current
                    self._keyword = current
            if current is not None and current.generation >= generation:
                return current
            if self.shared:
                return self._build_keyword_cache(current)
            with self.writer.attempt() as free:
                if free:
                    return self.rebuild_keyword_index()
            if current is not None:
                return current  # the writer at work publishes the new build when it is done
        with self.writing():  # nothing to answer from yet: wait for the writer
            return self.keyword_index()

    def rebuild_keyword_index(self) -> KeywordIndex:
        """Build BM25 from the registry, save it as a new build and serve it (as the writer)."""
        with self.writing():
            if self.shared:  # readers of this folder build it too: one build at a time here
                with self._keyword_cache_lock(self.settings.write_lock_timeout):
                    return self._build_and_save()
            return self._build_and_save()

    def _build_keyword_cache(self, current: KeywordIndex | None) -> KeywordIndex:
        """Bring this server's BM25 cache up to the shared registry, as a reader: under the
        folder's own lock (another process here may be building it: then its build is
        loaded), never the global writer's. ``IndexBusyError`` only with nothing to serve."""
        try:
            with self._keyword_cache_lock(self.settings.write_lock_timeout):
                generation = self.registry.generation()
                saved = KeywordIndex.saved_generation(self.keyword_dir)
                if saved is not None and saved >= generation:
                    loaded = KeywordIndex.load(self.keyword_dir)
                    if loaded is not None and loaded.generation >= generation:
                        self._keyword = loaded
                        return loaded
                return self._build_and_save()
        except IndexBusyError:
            if current is None:
                raise
            return current

    @contextmanager
    def _keyword_cache_lock(self, timeout: float) -> Iterator[None]:
        """One builder of this folder's BM25 cache: a thread lock (filelock is reentrant
        across threads), then an ``flock`` for the other processes on this folder."""
        busy = IndexBusyError(
            f"The keyword index of this server is still being rebuilt after {timeout:g} s."
        )
        if not self._cache_threads.acquire(timeout=timeout):
            raise busy
        try:
            if self._cache_lock is None:
                self.settings.index_dir.mkdir(parents=True, exist_ok=True)
                path = self.settings.index_dir / "bm25.lock"
                self._cache_lock = FlockLock(path)
            if not self._cache_lock.acquire(timeout):
                raise busy
            try:
                yield
            finally:
                self._cache_lock.release()
        finally:
            self._cache_threads.release()

    def _build_and_save(self) -> KeywordIndex:
        """Build BM25 from one snapshot of the registry, save it as this folder's newest build
        and serve it; the caller keeps every other builder of this folder out."""
        with self.registry.snapshot():
            generation = self.registry.generation()
            ids, texts = [], []
            for chunk, embed_text in self.registry.iter_chunks():
                ids.append(chunk.chunk_id)
                texts.append(embed_text)
        index = KeywordIndex.build(ids, texts, generation)
        saved = KeywordIndex.saved_generation(self.keyword_dir)
        if saved is None or saved <= generation or not self.shared:
            index.save(self.keyword_dir)
        current = self._keyword
        if current is None or current.generation <= generation or not self.shared:
            self._keyword = index
        for legacy in ("bm25.tmp", "bm25.old"):  # the old layout's swap folders
            shutil.rmtree(self.settings.index_dir / legacy, ignore_errors=True)
        return index

    def close(self) -> None:
        self.registry.close()
        self.writer.close()
