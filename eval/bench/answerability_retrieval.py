"""Ask every case through the service's own retriever, once: results are cached per index.

A rerun (new features, another threshold rule) rebuilds each ``RetrievalResult`` from the cache
instead of retrieving again. The cache holds what retrieval returned, compactly: per case the
passages' ids and scores and the named ids; per index the chunks, document metadata and
sentence vectors those passages need, and the question vectors. It is keyed by the index (its
folder, build, ingest code and registry generation) and the retrieval settings; results made by
other retrieval code are reused with a note (``--refresh`` retrieves again).

A filter of "every document but the gold one" is slow in the product as it stands (numpy's
``isin`` over object arrays compares every pair), so retrieval here runs with ``linear_isin``:
the same booleans by set membership, checked on the first cases of each index.
"""

from __future__ import annotations

import hashlib
import pickle
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant.core.filters import SearchFilters
from assistant.core.models import Chunk, DocumentMeta, Passage, RetrievalResult
from assistant.core.settings import PROJECT_ROOT
from eval.bench.answerability_cases import Case
from eval.bench.answerability_indexes import Opened
from eval.bench.common import err, progress_bar

_RETRIEVAL_SETTINGS = (
    "top_k",
    "fetch_k",
    "sentence_scan_limit",
    "sentence_pool_k",
    "passage_scan_limit",
    "rerank_k",
    "rrf_k",
    "bm25_weight",
    "sentence_weight",
    "rerank_sentence_weight",
    "rerank_passage_weight",
    "rerank_rank_weight",
    "use_mmr",
    "retrieval_mode",
    "reranker",
    "mmr_lambda",
    "embedding_model",
    "embedding_query_backend",
)


def cache_identity(index: Opened) -> str:
    """The index and the retrieval settings: results cached under another identity are
    dropped."""
    settings = index.service.settings
    digest = hashlib.sha256()
    digest.update(index.identity().encode())
    for name in _RETRIEVAL_SETTINGS:
        digest.update(f"{name}={getattr(settings, name)!r};".encode())
    return digest.hexdigest()[:16]


def retrieval_code_fingerprint() -> str:
    """Hash of the retrieval package. Cached results made by other retrieval code are reused
    with a note (as ``build_index`` reuses an index built by other ingest code): ``--refresh``
    retrieves again."""
    digest = hashlib.sha256()
    for path in sorted((PROJECT_ROOT / "assistant" / "retrieval").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _key(case: Case) -> str:
    return f"{case.case_id}|{case.question}|{','.join(case.exclude)}"


class RetrievalCache:
    def __init__(self, index: Opened, refresh: bool = False) -> None:
        self.identity = cache_identity(index)
        self.path = bench_root_of(index) / f"answerability-retrievals-{index.name}.pkl"
        code = retrieval_code_fingerprint()
        self.data = {"identity": self.identity, "code": code, "chunks": {}, "metas": {}}
        self.data |= {"vectors": {}, "queries": {}, "results": {}}
        if self.path.exists() and not refresh:
            with self.path.open("rb") as handle:
                stored = pickle.load(handle)
            if stored.get("identity") == self.identity:
                self.data = stored
        self.stale_code = self.data["code"] if self.data["code"] != code else None
        if self.stale_code and self.data["results"]:
            err.print(
                f"[yellow]note:[/yellow] the cached {index.name} retrieval results were made by "
                f"other retrieval code ({self.stale_code} vs now {code}); pass --refresh to "
                "retrieve again."
            )
        self._chunks: dict[str, Chunk] = {}
        self._metas: dict[str, DocumentMeta] = {}

    def __contains__(self, case: Case) -> bool:
        return _key(case) in self.data["results"]

    def put(self, case: Case, result: RetrievalResult) -> None:
        data = self.data
        for passage in result.passages:
            chunk_id = passage.chunk.chunk_id
            if chunk_id not in data["chunks"]:
                data["chunks"][chunk_id] = passage.chunk.model_dump(mode="json")
                if chunk_id in result.sentence_vectors:
                    data["vectors"][chunk_id] = np.asarray(result.sentence_vectors[chunk_id])
            doc_id = passage.document.doc_id
            if doc_id not in data["metas"]:
                data["metas"][doc_id] = passage.document.model_dump(mode="json")
        data["queries"].setdefault(case.question, np.asarray(result.query_vector))
        data["results"][_key(case)] = {
            "passages": [
                (p.chunk.chunk_id, p.document.doc_id, p.score, p.scores) for p in result.passages
            ],
            "named": sorted(result.named_ids),
            "timings": dict(result.timings),
        }

    def get(self, case: Case) -> RetrievalResult:
        data = self.data
        stored = data["results"][_key(case)]
        passages = []
        vectors = {}
        for chunk_id, doc_id, score, scores in stored["passages"]:
            if chunk_id not in self._chunks:
                self._chunks[chunk_id] = Chunk.model_validate(data["chunks"][chunk_id])
            if doc_id not in self._metas:
                self._metas[doc_id] = DocumentMeta.model_validate(data["metas"][doc_id])
            chunk = self._chunks[chunk_id]
            passages.append(
                Passage(chunk=chunk, document=self._metas[doc_id], score=score, scores=scores)
            )
            if chunk_id in data["vectors"]:
                vectors[chunk_id] = data["vectors"][chunk_id]
        return RetrievalResult(
            passages,
            data["queries"][case.question],
            vectors,
            dict(stored["timings"]),
            frozenset(stored["named"]),
        )

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as handle:
            pickle.dump(self.data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self.path)


def bench_root_of(index: Opened) -> Path:
    """``data/bench`` of the app's settings (an index's own data dir is one level down)."""
    return index.folder.parent


class _IdList(list):
    """The filter's doc-id list with set membership: ``SearchFilters.accepts`` tests
    ``meta.doc_id in doc_ids`` once per indexed document, which for a list of every id but
    one is quadratic (4,600 documents: ~10M comparisons per question). Same values, same
    order, same answers, found faster."""

    def __init__(self, values) -> None:
        super().__init__(values)
        self._set = frozenset(values)

    def __contains__(self, value) -> bool:
        return value in self._set


def excluding(index: Opened, case: Case, every_id: set[str]) -> SearchFilters | None:
    """The filter keeping ``case``'s gold paragraphs out: every other document of the index."""
    if not case.exclude:
        return None
    gone = {index.doc_id(case.source, doc_id) for doc_id in case.exclude}
    missing = gone - every_id
    if missing:
        raise ValueError(f"{index.name}: gold documents {sorted(missing)[:3]} are not indexed")
    return SearchFilters.model_construct(doc_ids=_IdList(sorted(every_id - gone)))


_NUMPY_ISIN = np.isin


def _set_isin(element, test_elements, *args, **kwargs):
    """``np.isin`` for an object array (document ids) tested against a list or set: set
    membership, the same booleans in linear time. numpy answers object arrays by comparing
    every pair: the sentence index's mask for "every document but one" costs 12k x 2k
    comparisons on SQuAD (~0.5 s a question) and 35k x 4.6k on the mixed index (~4 s)."""
    array = np.asarray(element)
    if array.dtype == object and not args and not kwargs:
        wanted = set(test_elements)
        flags = np.fromiter((x in wanted for x in array.ravel()), dtype=bool, count=array.size)
        return flags.reshape(array.shape)
    return _NUMPY_ISIN(element, test_elements, *args, **kwargs)


@contextmanager
def linear_isin():
    """While retrieving: ``np.isin`` over object arrays by set membership (see ``_set_isin``).
    The product's own retriever runs unchanged; ``check_same`` proves the results are equal."""
    np.isin = _set_isin
    try:
        yield
    finally:
        np.isin = _NUMPY_ISIN


def check_same(index: Opened, cases: list[Case], every_id: set[str], count: int = 2) -> None:
    """The first ``count`` filtered cases retrieved with and without ``linear_isin``: the same
    passages with the same scores, or the benchmark stops."""
    retriever = index.service.retriever
    for case in [c for c in cases if c.exclude][:count]:
        filters = excluding(index, case, every_id)
        plain = retriever.retrieve(case.question, filters)
        with linear_isin():
            fast = retriever.retrieve(case.question, filters)
        same = [(p.chunk.chunk_id, p.score) for p in plain.passages] == [
            (p.chunk.chunk_id, p.score) for p in fast.passages
        ]
        if not same:
            raise RuntimeError(f"{index.name}: linear_isin changed the result of {case.case_id}")


def retrieve_all(
    index: Opened, cases: list[Case], label: str, refresh: bool = False
) -> RetrievalCache:
    """Every case retrieved (from the cache when it was before); the cache is saved every 500
    new results, so an interrupted run resumes."""
    cache = RetrievalCache(index, refresh)
    todo = [case for case in cases if case not in cache]
    if not todo:
        return cache
    every_id = index.all_doc_ids()
    retriever = index.service.retriever
    check_same(index, todo, every_id)
    with (
        linear_isin(),
        progress_bar(
            f"Retrieving {label} ({len(todo)} of {len(cases)} not cached)", len(todo)
        ) as advance,
    ):
        for number, case in enumerate(todo, start=1):
            result = retriever.retrieve(case.question, excluding(index, case, every_id))
            cache.put(case, result)
            if number % 500 == 0:
                cache.save()
            advance(1)
    cache.save()
    return cache
