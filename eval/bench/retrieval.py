"""Retrieval quality on public benchmarks, for bm25 / dense / hybrid / hybrid+rerank in one run.

Each corpus is indexed with the real ingest pipeline (cached under ``data/bench``); every query
is ranked by the service's own ``HybridRetriever.rank_all`` with the mode and reranker switched
per variant and MMR off. A document's rank is that of its best chunk.

    strategy-assistant bench retrieval --beir ../shared/bench/scifact --split test \
        --squad ../shared/bench/squad/dev-v1.1.json --policyqa ../shared/bench/policyqa/dev.json

``--tune`` additionally explores fusion settings offline (RRF k, per-retriever weights, fetch
depth, reranker blend) from the dense and BM25 rankings of the same queries. Tune on SciFact
``--split train`` (and SQuAD/PolicyQA dev); report SciFact test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.settings import Settings
from assistant.retrieval.rerankers import make_reranker
from eval.bench.common import (
    command_line,
    err,
    git_commit,
    machine,
    now_stamp,
    peak_rss_mb,
    progress_bar,
    save_json,
    write_section,
)
from eval.bench.datasets import RetrievalSet, load_beir, load_squad, sample_queries
from eval.bench.fusion_tuning import tune
from eval.bench.index_cache import BuiltIndex, build_index
from eval.bench.retrieval_report import markdown, print_set
from eval.metrics import mean, score_ranking

VARIANTS = {
    "bm25": ("bm25", "none"),
    "dense": ("dense", "none"),
    "hybrid": ("hybrid", "none"),
    "hybrid+rerank": ("hybrid", "sentence"),
}


@dataclass
class VariantResult:
    metrics: dict[str, float]
    per_query: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0


def run_variants(
    built: BuiltIndex, dataset: RetrievalSet, kind: str, depth: int, variants: list[str]
) -> dict[str, VariantResult]:
    """Rank every query with each variant through the real retriever."""
    retriever = built.service.retriever
    saved = (retriever.mode, retriever.reranker)
    results: dict[str, VariantResult] = {}
    try:
        for variant in variants:
            mode, reranker = VARIANTS[variant]
            retriever.mode = mode
            retriever.reranker = make_reranker(reranker, built.service.settings.rerank_weights)
            per_query: dict[str, list[str]] = {}
            scores: list[dict[str, float]] = []
            started = time.perf_counter()
            with progress_bar(f"{dataset.name} {variant}", len(dataset.queries)) as advance:
                for qid, text in dataset.queries.items():
                    chunk_ranking = retriever.rank_all(text, depth)
                    ranking = built.doc_ranking(chunk_ranking)
                    per_query[qid] = ranking[:100]
                    scores.append(score_ranking(kind, ranking, dataset.qrels[qid]))
                    advance(1)
            seconds = time.perf_counter() - started
            metrics = {name: mean(s[name] for s in scores) for name in scores[0]}
            metrics["ms_per_query"] = 1000 * seconds / max(1, len(dataset.queries))
            results[variant] = VariantResult(metrics, per_query, seconds)
    finally:
        retriever.mode, retriever.reranker = saved
    return results


# -- the command -------------------------------------------------------------------------------
def run(
    beir: Path | None,
    split: str,
    squad: Path | None,
    policyqa: Path | None,
    max_queries: int | None,
    squad_queries: int,
    depth: int,
    variants: list[str],
    rebuild: bool,
    do_tune: bool,
    write_docs: bool,
    settings: Settings,
) -> dict:
    from assistant.index.embeddings import make_embeddings

    info = machine()
    embeddings = make_embeddings(
        settings.embedding_model,
        settings.embedding_device,
        settings.embedding_batch_size,
        settings.embedding_query_backend,
        settings.data_dir / "models",
        settings.embedding_ingest_backend,  # the benchmark index is embedded like an ingest
    )
    base = settings.model_copy(update={"reranker": "sentence", "retrieval_mode": "hybrid"})
    jobs: list[tuple[str, str, RetrievalSet]] = []
    if beir is not None:
        dataset = sample_queries(load_beir(beir, split), max_queries)
        jobs.append(("beir", Path(beir).name, dataset))
    for path, label in ((squad, "squad"), (policyqa, "policyqa")):
        if path is not None:
            limit = min(max_queries, squad_queries) if max_queries else squad_queries
            dataset = sample_queries(load_squad(path, name=label), limit)
            jobs.append(("squad", label, dataset))
    if not jobs:
        raise ValueError("give at least one of --beir, --squad, --policyqa")
    report: dict = {
        "machine": info,
        "command": command_line(),
        "date": now_stamp(),
        "commit": git_commit(),
        "sets": [],
    }
    for kind, index_name, dataset in jobs:
        err.print(
            f"[bold]{dataset.name}[/bold]: {len(dataset.docs)} documents, "
            f"{len(dataset.queries)} queries"
        )
        built = build_index(index_name, dataset.docs, base, embeddings, rebuild)
        documents, passages = built.service.store.registry.counts()
        results = run_variants(built, dataset, kind, depth, variants)
        entry = {
            "name": dataset.name,
            "kind": kind,
            "documents": documents,
            "passages": passages,
            "queries": len(dataset.queries),
            "relevant_per_query": sum(len(r) for r in dataset.qrels.values())
            / max(1, len(dataset.qrels)),
            "notes": dataset.notes,
            "index": built.meta,
            "index_reused": built.reused,
            "depth": depth,
            "variants": {v: r.metrics for v, r in results.items()},
        }
        if do_tune:
            entry["tuning"] = tune(built, dataset, kind, depth)
        report["sets"].append(entry)
        built.service.close()
        print_set(entry)
    report["peak_rss_mb"] = peak_rss_mb()
    path = settings.reports_dir / f"bench-retrieval-{time.strftime('%Y%m%d-%H%M%S')}.json"
    save_json(path, report)
    err.print(f"Report written to {path}")
    if write_docs:
        write_section("Retrieval quality", markdown(report), sub="Public benchmarks")
        err.print("docs/BENCHMARKS.md: section 'Retrieval quality' updated")
    return report
