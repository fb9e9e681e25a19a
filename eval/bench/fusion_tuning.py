"""Offline exploration of fusion settings (RRF k, per-retriever weights, fetch depth, reranker
blend) from the dense, sentence and BM25 rankings of a benchmark's queries: ``bench retrieval
--tune``. Tune on SciFact ``--split train`` (and SQuAD/PolicyQA dev); report SciFact test."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from assistant.retrieval.fusion import reciprocal_rank_fusion
from assistant.retrieval.rerankers import SentenceReranker
from eval.bench.common import progress_bar
from eval.bench.datasets import RetrievalSet
from eval.bench.index_cache import BuiltIndex
from eval.metrics import mean, score_ranking


def collect_candidates(built: BuiltIndex, dataset: RetrievalSet, depth: int) -> list[dict]:
    """Dense and BM25 rankings (with scores) and the reranker features of their union."""
    from assistant.index.embeddings import encode_query

    service = built.service
    store = service.store
    rows = []
    with progress_bar(f"{dataset.name} candidates for tuning", len(dataset.queries)) as advance:
        for qid, text in dataset.queries.items():
            vector = encode_query(service.embeddings, text)
            dense, sentences = service.retriever.dense_rankings(vector, depth, None)
            keyword = store.keyword_index().search(text, depth, None)
            ids = list(
                dict.fromkeys(
                    [c for c, _ in dense] + [c for c, _ in sentences] + [c for c, _ in keyword]
                )
            )
            vectors = store.registry.vectors(ids)
            features = {}
            for chunk_id in ids:
                if chunk_id not in vectors:
                    continue
                passage, matrix = vectors[chunk_id]
                best = float(np.max(matrix @ vector)) if len(matrix) else 0.0
                features[chunk_id] = (float(passage @ vector), best)
            rows.append(
                {
                    "qid": qid,
                    "dense": [c for c, _ in dense],
                    "sentences": [c for c, _ in sentences],
                    "bm25": [c for c, _ in keyword],
                    "features": features,
                }
            )
            advance(1)
    return rows


def fuse(row: dict, rrf_k: int, weights: tuple[float, float, float], fetch: int) -> list[str]:
    """RRF of the passage-dense, sentence-dense and BM25 lists (weights in that order)."""
    names = ("dense", "sentences", "bm25")
    rankings = [row[n][:fetch] for n, w in zip(names, weights, strict=True) if w > 0]
    used = [w for w in weights if w > 0]
    return [c for c, _ in reciprocal_rank_fusion(rankings, k=rrf_k, weights=used)]


def rerank(row: dict, fused: list[str], weights: tuple[float, float, float], top: int) -> list[str]:
    """The head of ``fused`` reordered by the product's ``SentenceReranker`` with other weights
    (best sentence, passage cosine, rank), from the features collected once per query.

    The reranker reads a passage's chunk id and ``scores["passage_cosine"]``, and takes the
    best sentence as ``max(sentence_matrix @ query_vector)``: each candidate is handed as a
    stand-in with its passage cosine, its best sentence cosine as a 1x1 matrix and a unit query
    vector, which gives back exactly that cosine."""
    reranker = SentenceReranker(*weights)
    head, tail = fused[:top], fused[top:]
    candidates, best_sentence = [], {}
    for chunk_id in head:
        passage, best = row["features"].get(chunk_id, (0.0, 0.0))
        candidates.append(_Candidate(chunk_id, passage))
        best_sentence[chunk_id] = np.array([[best]])
    ranked = reranker.rerank("", _UNIT_QUERY, candidates, best_sentence)
    return [c.chunk.chunk_id for c in ranked] + tail


class _Candidate:
    """What ``SentenceReranker.rerank`` uses of a ``Passage``."""

    def __init__(self, chunk_id: str, passage_cosine: float) -> None:
        self.chunk = SimpleNamespace(chunk_id=chunk_id)
        self.scores = {"passage_cosine": passage_cosine}
        self.score = 0.0


_UNIT_QUERY = np.ones(1)


def tune(built: BuiltIndex, dataset: RetrievalSet, kind: str, depth: int) -> list[dict]:
    """Score a grid of fusion/rerank settings; returns rows sorted by the main metric."""
    rows = collect_candidates(built, dataset, depth)
    main = "ndcg@10" if kind == "beir" else "mrr@10"
    grid = []
    for rrf_k in (10, 30, 60, 100):
        for w_sentences in (0.0, 0.5, 1.0):
            for w_bm25 in (0.5, 1.0, 1.5, 2.0):
                for fetch in sorted({40, 100, depth}):
                    grid.append(("rrf", rrf_k, (1.0, w_sentences, w_bm25), fetch, None))
    for rerank_weights in (
        (0.5, 0.3, 0.2),
        (0.4, 0.2, 0.4),
        (0.3, 0.2, 0.5),
        (0.2, 0.1, 0.7),
        (0.0, 0.5, 0.5),
        (0.5, 0.0, 0.5),
    ):
        for rrf_k in (10, 60):
            grid.append(("rerank", rrf_k, (1.0, 0.5, 1.0), depth, rerank_weights))
    results = []
    with progress_bar(f"{dataset.name} tuning grid", len(grid)) as advance:
        for name, rrf_k, weights, fetch, rerank_weights in grid:
            scores = []
            for row in rows:
                fused = fuse(row, rrf_k, weights, fetch)
                if rerank_weights is not None:
                    fused = rerank(row, fused, rerank_weights, 30)
                ranking = built.doc_ranking(fused)
                scores.append(score_ranking(kind, ranking, dataset.qrels[row["qid"]]))
            metrics = {m: mean(s[m] for s in scores) for m in scores[0]}
            results.append(
                {
                    "setting": name,
                    "rrf_k": rrf_k,
                    "w_dense": weights[0],
                    "w_sentences": weights[1],
                    "w_bm25": weights[2],
                    "fetch_k": fetch,
                    "rerank_weights": rerank_weights,
                    **metrics,
                }
            )
            advance(1)
    # the single retrievers as references
    for single in ("dense", "sentences", "bm25"):
        scores = [
            score_ranking(kind, built.doc_ranking(row[single]), dataset.qrels[row["qid"]])
            for row in rows
        ]
        results.append({"setting": single, **{m: mean(s[m] for s in scores) for m in scores[0]}})
    results.sort(key=lambda r: -(r.get(main) or 0))
    return results
