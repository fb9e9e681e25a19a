"""BM25 keyword index (bm25s), built at ingest and persisted beside Chroma.

bm25s stores a sparse score matrix, so it cannot add one document in place; instead ingest
rebuilds it from the registry's stored texts after each committed change (tokenising and
indexing tens of thousands of passages takes seconds), and a query only loads and scores it.
The saved index records the registry generation it was built from, so a stale index (an
ingest interrupted after the registry commit) is detected and rebuilt once at load.

On disk each build is a folder of its own (``g<generation>-<random>``) inside the index folder,
named by the small ``CURRENT`` file once it is complete; ``CURRENT`` is replaced atomically
(``os.replace``), so a reader, in this process or another, loads either the previous build or
the new one, never a half-written one. Builds are saved by the one writer (``WriteLock``);
the previous build is kept for a reader that read ``CURRENT`` just before the swap.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.core.chunk_ids import doc_id_of

_STOPWORDS = "en"
_POINTER = "CURRENT"
_KEEP_BUILDS = 2  # the current build and the one before it
IDF_MEMO_WORDS = 50_000  # question words whose idf a build remembers (a few MB)


def _stemmer():
    try:
        import Stemmer

        return Stemmer.Stemmer("english")
    except ImportError:  # PyStemmer is optional; plain tokens still work
        return None


class KeywordIndex:
    """Chunk ids plus a bm25s retriever over their embedded text."""

    def __init__(self, ids: list[str], retriever, generation: int) -> None:
        self.ids = ids
        self.retriever = retriever
        self.generation = generation
        self._stemmer = _stemmer()
        self._doc_of = np.array([doc_id_of(chunk_id) for chunk_id in ids], dtype=object)
        # word -> inverse document frequency: fixed for this build (one index generation), and
        # tokenising each question word again cost ~0.2 ms per question
        self._idf: dict[str, float] = {}

    @classmethod
    def build(cls, ids: list[str], texts: Sequence[str], generation: int) -> KeywordIndex:
        import bm25s

        retriever = None
        if ids:
            tokens = bm25s.tokenize(
                list(texts), stopwords=_STOPWORDS, stemmer=_stemmer(), show_progress=False
            )
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
        return cls(list(ids), retriever, generation)

    def save(self, folder: Path) -> None:
        """Write a new build beside the current one, then point ``CURRENT`` at it.

        Only the one writer saves (the caller holds the ``WriteLock``); every temporary name
        is unique all the same, so nothing here can clobber another save's files.
        """
        folder.mkdir(parents=True, exist_ok=True)
        name = f"g{self.generation:010d}-{uuid.uuid4().hex[:12]}"
        build = folder / name
        build.mkdir()
        if self.retriever is not None:
            self.retriever.save(str(build / "bm25"))
        _write_atomically(
            build / "ids.json", json.dumps({"generation": self.generation, "ids": self.ids})
        )
        _write_atomically(
            folder / _POINTER, json.dumps({"generation": self.generation, "build": name})
        )
        _prune(folder, keep=name)

    @staticmethod
    def saved_generation(folder: Path) -> int | None:
        """The generation of the current saved build (None when there is none)."""
        pointer = _read_pointer(folder)
        return None if pointer is None else int(pointer["generation"])

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        """The current saved build, or None when there is none (or only the old layout)."""
        import bm25s

        for _ in range(3):  # another process may swap and prune between our two reads
            pointer = _read_pointer(folder)
            if pointer is None:
                return None
            build = folder / pointer["build"]
            try:
                data = json.loads((build / "ids.json").read_text(encoding="utf-8"))
                retriever = bm25s.BM25.load(str(build / "bm25")) if data["ids"] else None
            except FileNotFoundError:
                continue
            return cls(data["ids"], retriever, int(data["generation"]))
        return None

    def inverse_document_frequencies(self, words: list[str]) -> dict[str, float]:
        """log((N + 1) / (df + 0.5)) per word after the index's own stemming: how much a word
        tells passages apart (a word the index never saw gets the largest value)."""
        import math

        if self.retriever is None:
            return {word: 1.0 for word in words}
        vocab = self.retriever.vocab_dict
        indptr = self.retriever.scores["indptr"]
        total = int(self.retriever.scores["num_docs"])
        new = [word for word in dict.fromkeys(words) if word not in self._idf]
        if len(self._idf) + len(new) > IDF_MEMO_WORDS:  # bounded whatever words are sent
            self._idf.clear()
            new = list(dict.fromkeys(words))
        for word, tokens in zip(new, self._word_tokens(new), strict=True):
            ids = [vocab[t] for t in tokens if t in vocab]
            df = min(
                (int(indptr[i + 1] - indptr[i]) for i in ids if i + 1 < len(indptr)), default=0
            )
            self._idf[word] = math.log((total + 1) / (df + 0.5))
        return {word: self._idf[word] for word in words}

    def missing_terms(self, terms: list[str]) -> list[str]:
        """The ``terms`` that occur nowhere in the indexed text (after the same stemming)."""
        if self.retriever is None:
            return list(terms)
        vocab = self.retriever.vocab_dict
        return [
            term
            for term, tokens in zip(terms, self._word_tokens(terms), strict=True)
            if tokens and not all(token in vocab for token in tokens)
        ]

    def _word_tokens(self, words: list[str]) -> list[list[str]]:
        """Each word's tokens after the index's stemming, no stopwords removed: one bm25s
        tokenize call for them all (each call costs ~30 us of set-up, progress bars
        included, even for one word; every text is tokenised on its own either way)."""
        import bm25s

        if not words:
            return []
        return bm25s.tokenize(
            list(words),
            stopwords=None,
            stemmer=self._stemmer,
            show_progress=False,
            return_ids=False,
        )

    def search(
        self, query: str, k: int, doc_ids: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, BM25 score), only from ``doc_ids`` when given.

        Chunk ids start with their document id, which is what the filter relies on.
        """
        import bm25s

        if self.retriever is None or k <= 0:
            return []
        tokens = bm25s.tokenize(
            [query],
            stopwords=_STOPWORDS,
            stemmer=self._stemmer,
            show_progress=False,
            return_ids=False,
        )[0]
        vocab = self.retriever.vocab_dict
        token_ids = [vocab[t] for t in tokens if t in vocab]
        if not token_ids:
            return []
        scores = self.retriever.get_scores(token_ids)
        if doc_ids is not None:
            mask = np.isin(self._doc_of, list(doc_ids))
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a uniquely named file beside ``path``, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_pointer(folder: Path) -> dict | None:
    try:
        pointer = json.loads((folder / _POINTER).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None
    return pointer if isinstance(pointer, dict) and "build" in pointer else None


def _prune(folder: Path, keep: str) -> None:
    """Remove older builds (all but the newest ``_KEEP_BUILDS``), files a killed writer left,
    and the old one-folder layout (``ids.json`` and ``bm25/`` directly inside ``folder``)."""
    builds = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name.startswith("g"))
    stale = [name for name in builds if name != keep][: max(0, len(builds) - _KEEP_BUILDS)]
    for name in stale:
        shutil.rmtree(folder / name, ignore_errors=True)
    for leftover in folder.glob(".*.tmp"):  # from a writer killed mid-write
        leftover.unlink(missing_ok=True)
    shutil.rmtree(folder / "bm25", ignore_errors=True)
    (folder / "ids.json").unlink(missing_ok=True)
