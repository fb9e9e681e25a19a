"""BM25 keyword index (bm25s), built at ingest and persisted beside Chroma.

bm25s stores a sparse score matrix, so it cannot add one document in place; instead ingest
rebuilds it from the registry's stored texts after each committed change (tokenising and
indexing tens of thousands of passages takes seconds), and a query only loads and scores it.
The saved index records the registry generation it was built from, so a stale index (an
ingest interrupted after the registry commit) is detected and rebuilt once at load.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.core.chunk_ids import doc_id_of

_STOPWORDS = "en"


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
        """Write to a temporary folder and swap it in, so a reader never sees half an index."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self.retriever is not None:
            self.retriever.save(str(tmp / "bm25"))
        (tmp / "ids.json").write_text(
            json.dumps({"generation": self.generation, "ids": self.ids}), encoding="utf-8"
        )
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        import bm25s

        meta = folder / "ids.json"
        if not meta.exists():
            return None
        data = json.loads(meta.read_text(encoding="utf-8"))
        retriever = bm25s.BM25.load(str(folder / "bm25")) if data["ids"] else None
        return cls(data["ids"], retriever, int(data["generation"]))

    def inverse_document_frequencies(self, words: list[str]) -> dict[str, float]:
        """log((N + 1) / (df + 0.5)) per word after the index's own stemming: how much a word
        tells passages apart (a word the index never saw gets the largest value)."""
        import math

        import bm25s

        if self.retriever is None:
            return {word: 1.0 for word in words}
        vocab = self.retriever.vocab_dict
        indptr = self.retriever.scores["indptr"]
        total = int(self.retriever.scores["num_docs"])
        weights: dict[str, float] = {}
        for word in words:
            tokens = bm25s.tokenize(
                [word], stopwords=None, stemmer=self._stemmer, show_progress=False, return_ids=False
            )[0]
            ids = [vocab[t] for t in tokens if t in vocab]
            df = min(
                (int(indptr[i + 1] - indptr[i]) for i in ids if i + 1 < len(indptr)), default=0
            )
            weights[word] = math.log((total + 1) / (df + 0.5))
        return weights

    def missing_terms(self, terms: list[str]) -> list[str]:
        """The ``terms`` that occur nowhere in the indexed text (after the same stemming)."""
        import bm25s

        if self.retriever is None:
            return list(terms)
        vocab = self.retriever.vocab_dict
        missing = []
        for term in terms:
            tokens = bm25s.tokenize(
                [term], stopwords=None, stemmer=self._stemmer, show_progress=False, return_ids=False
            )[0]
            if tokens and not all(token in vocab for token in tokens):
                missing.append(term)
        return missing

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
