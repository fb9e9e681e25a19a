"""The three parts of the index opened together, with the keyword index kept current."""

from __future__ import annotations

import threading

from assistant.core.models import DocumentMeta
from assistant.core.settings import Settings
from assistant.index.keyword_index import KeywordIndex
from assistant.index.registry import Registry
from assistant.index.sentence_index import SentenceIndex
from assistant.index.vector_store import ChromaVectorStore, make_chroma_client


class IndexStore:
    """Registry (truth) + Chroma (dense) + BM25 (keywords), under ``settings.index_dir``."""

    def __init__(self, settings: Settings, registry: Registry, vectors: ChromaVectorStore) -> None:
        self.settings = settings
        self.registry = registry
        self.vectors = vectors
        self._keyword: KeywordIndex | None = None
        self._documents: tuple[int, dict[str, DocumentMeta]] = (-1, {})
        self._sentences: SentenceIndex | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings) -> IndexStore:
        index_dir = settings.index_dir
        registry = Registry(index_dir / "registry.sqlite")
        client = make_chroma_client(
            settings.chroma_url, index_dir / "chroma", settings.chroma_timeout
        )
        return cls(settings, registry, ChromaVectorStore(client, settings.collection))

    def document_metas(self) -> dict[str, DocumentMeta]:
        """Metadata of every indexed document, cached until the registry changes."""
        generation = self.registry.generation()
        cached_generation, metas = self._documents
        if cached_generation != generation:
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
                    current = SentenceIndex.from_registry(self.registry)
                    self._sentences = current
        return current

    @property
    def keyword_dir(self):
        return self.settings.index_dir / "bm25"

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index for the registry's current generation (loaded or rebuilt once)."""
        generation = self.registry.generation()
        current = self._keyword
        if current is not None and current.generation == generation:
            return current
        with self._lock:
            current = self._keyword
            if current is None or current.generation != generation:
                loaded = KeywordIndex.load(self.keyword_dir)
                if loaded is None or loaded.generation != generation:
                    loaded = self.rebuild_keyword_index()
                self._keyword = loaded
            return self._keyword

    def rebuild_keyword_index(self) -> KeywordIndex:
        generation = self.registry.generation()
        ids, texts = [], []
        for chunk, embed_text in self.registry.iter_chunks():
            ids.append(chunk.chunk_id)
            texts.append(embed_text)
        index = KeywordIndex.build(ids, texts, generation)
        index.save(self.keyword_dir)
        self._keyword = index
        return index

    def close(self) -> None:
        self.registry.close()
