"""Candidate passages (chunk, passage vector, sentence vectors) kept in memory per index
generation, so a question does not parse the same passages out of the registry again.

Every question loads its ~30 fused candidates from the registry: two SQL reads and a JSON parse
of each chunk, 1-2 ms per question (docs/BENCHMARKS.md, Query latency), while the same
passages come back question after question. The rows of one chunk id never change (the id
carries its document's content hash; a metadata edit only rewrites the embed text, which is not
read here), but to stay exact the cache is still keyed by the registry generation: any ingest,
upload, delete or edit empties it, and a miss reads its rows and the generation in one snapshot.

When the caller hands over the in-memory sentence index of the same generation, a miss reads
nothing from the registry: that index holds every passage's stored chunk JSON, passage vector and
sentence vectors of its generation (``SentenceIndex.passage``); a miss is one JSON parse. A
sentence index without passages (a registry without ``iter_passage_rows``) serves the sentence
vectors and the registry the chunk and passage vector (one SQL read). Any other generation (a
writer committed in between) reads everything from the registry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from assistant.core.models import Chunk

# Passages kept: about 10 KB each (vector, sentence vectors, text), so ~20 MB at most.
PASSAGE_CACHE_SIZE = 2048

# chunk (None: not parsed yet, see ``load``), passage vector, sentence-vector matrix
Loaded = tuple[Chunk | None, np.ndarray, np.ndarray]


class PassageCache:
    """A bounded LRU of chunk id -> (chunk, passage vector, sentence vectors) for one
    generation of the registry; thread-safe (one lock around the dictionary only)."""

    def __init__(self, size: int = PASSAGE_CACHE_SIZE) -> None:
        self.size = size
        self._generation: int | None = None
        self._registry = None  # a retriever copied onto another store must not share rows
        self._items: OrderedDict[str, Loaded] = OrderedDict()
        self._lock = threading.Lock()

    def load(
        self,
        registry,
        chunk_ids: Iterable[str],
        sentences=None,
        parse: bool = True,
        generation: int | None = None,
    ) -> dict[str, Loaded]:
        """The known ids among ``chunk_ids`` with their rows (absent ids are left out, as the
        registry leaves them out: not committed, or replaced). ``sentences``: the in-memory
        ``SentenceIndex``, whose rows serve the sentence vectors when it is of the
        generation read. ``parse=False``: a passage that index holds comes back with chunk
        None unless it was parsed before (``chunk`` parses it later, from the same index).
        ``generation``: the registry's, when the caller read it at the start of its question
        (then the rows are those of that generation, as the caller's other index parts are)."""
        ids = list(chunk_ids)
        if generation is None:
            generation = registry.generation()
        found: dict[str, Loaded] = {}
        with self._lock:
            if generation != self._generation or registry is not self._registry:
                self._items.clear()
                self._generation, self._registry = generation, registry
            for chunk_id in ids:
                item = self._items.get(chunk_id)
                if item is not None:
                    self._items.move_to_end(chunk_id)
                    found[chunk_id] = item
        missing = [chunk_id for chunk_id in ids if chunk_id not in found]
        if not missing:
            return found
        if (
            sentences is not None
            and sentences.generation == generation
            and (sentences.holds_passages)
        ):  # the rows of this generation are in memory: no registry read at all
            loaded = {}
            for chunk_id in missing:
                vector = sentences.passage_vector(chunk_id)
                if vector is not None:
                    chunk = sentences.passage(chunk_id)[0] if parse else None
                    loaded[chunk_id] = (
                        chunk,
                        vector,
                        sentences.sentences_of(chunk_id, vector.size),
                    )
            self._keep(registry, generation, loaded)
            found.update(loaded)
            return found
        with registry.snapshot():  # the rows and the generation they belong to, together
            generation = registry.generation()
            if sentences is not None and sentences.generation == generation:
                loaded = {
                    chunk_id: (chunk, vector, sentences.sentences_of(chunk_id, vector.size))
                    for chunk_id, (chunk, vector) in registry.passages(missing).items()
                }
            else:
                vectors = registry.vectors(missing)
                chunks = registry.chunks(missing)
                loaded = {
                    chunk_id: (chunks[chunk_id], *vectors[chunk_id])
                    for chunk_id in missing
                    if chunk_id in chunks and chunk_id in vectors
                }
        self._keep(registry, generation, loaded)
        found.update(loaded)
        return found

    def chunk(self, registry, chunk_id: str, row: Loaded, sentences) -> Chunk:
        """The chunk of a row ``load(..., parse=False)`` returned from ``sentences`` (parsed
        from that same index, so of the generation of its vectors), remembered parsed."""
        if row[0] is not None:
            return row[0]
        chunk = sentences.passage(chunk_id)[0]
        self._keep(registry, sentences.generation, {chunk_id: (chunk, row[1], row[2])})
        return chunk

    def _keep(self, registry, generation: int, loaded: dict[str, Loaded]) -> None:
        """Remember the parsed rows of ``loaded`` (of ``generation``) unless the cache moved
        on meanwhile."""
        with self._lock:
            if generation == self._generation and registry is self._registry:
                for chunk_id, item in loaded.items():
                    if item[0] is not None:
                        self._items[chunk_id] = item
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
