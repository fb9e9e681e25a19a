"""The three parts of the index opened together, with the keyword index kept current.

Writes go through ``writing()``: one writer at a time, in this process and across processes
on one data folder (``WriteLock``). Readers take no write lock. They read the registry (the
truth, committed in SQLite transactions), Chroma (whose extra ids the registry filters out) and
the newest complete BM25 build; a BM25 build one commit behind is served until the writer
publishes the new one (its passages the registry no longer knows are dropped by the retriever),
so a question during an upload or delete answers from the old index or the new, never a half.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.core.models import DocumentMeta
from assistant.core.settings import Settings
from assistant.index.keyword_index import KeywordIndex
from assistant.index.registry import Registry
from assistant.index.sentence_index import SentenceIndex
from assistant.index.vector_store import ChromaVectorStore, make_chroma_client
from assistant.index.write_lock import WriteLock

logger = logging.getLogger("assistant.index")


class IndexStore:
    """Registry (truth) + Chroma (dense) + BM25 (keywords), under ``settings.index_dir``."""

    def __init__(self, settings: Settings, registry: Registry, vectors: ChromaVectorStore) -> None:
        self.settings = settings
        self.registry = registry
        self.vectors = vectors
        self._keyword: KeywordIndex | None = None
        self._documents: tuple[int, dict[str, DocumentMeta]] = (-1, {})
        self._sentences: SentenceIndex | None = None
        self._lock = threading.Lock()  # readers: one loads or builds an in-memory index at a time
        self.writer = WriteLock(settings.index_dir / "write.lock", settings.write_lock_timeout)

    @classmethod
    def open(cls, settings: Settings) -> IndexStore:
        index_dir = settings.index_dir
        registry = Registry(index_dir / "registry.sqlite")
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

    def document_metas(self) -> dict[str, DocumentMeta]:
        """Metadata of every indexed document, cached until the registry changes."""
        generation = self.registry.generation()
        cached_generation, metas = self._documents
        if cached_generation != generation:
            with self.registry.snapshot():
                generation = self.registry.generation()
                metas = {d.meta.doc_id: d.meta for d in self.registry.documents()}
            self._documents = (generation, metas)
        return metas

    def sentence_index(self) -> SentenceIndex:
        """Every sentence vector in memory, reloaded when the registry changes."""
        generation = self.registry.generation()
        current = self._sentences
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

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index for the registry's current generation, or the newest complete one
        while a writer is still building it.

        Loaded from disk when another process (or an earlier run) saved a newer build; rebuilt
        here only when it is stale and no writer is at work (an ingest stopped before it).
        """
        generation = self.registry.generation()
        current = self._keyword
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
            with self.registry.snapshot():
                generation = self.registry.generation()
                ids, texts = [], []
                for chunk, embed_text in self.registry.iter_chunks():
                    ids.append(chunk.chunk_id)
                    texts.append(embed_text)
            index = KeywordIndex.build(ids, texts, generation)
            index.save(self.keyword_dir)
            self._keyword = index
            for legacy in ("bm25.tmp", "bm25.old"):  # the old layout's swap folders
                shutil.rmtree(self.settings.index_dir / legacy, ignore_errors=True)
            return index

    def close(self) -> None:
        self.registry.close()
