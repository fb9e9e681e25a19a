"""Query latency: the full ``service.ask`` against a bare LangChain-Chroma ``similarity_search``
over the same passage texts, question by question."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from eval.bench.common import (
    err,
    peak_rss_mb,
    progress_bar,
)
from eval.bench.precomputed import PrecomputedEncoder
from eval.metrics import percentile


def build_bare_chroma(service, folder: Path, embeddings):
    """A ``langchain_chroma.Chroma`` over the same passage texts as ``service``'s index."""
    from langchain_chroma import Chroma

    registry = service.store.registry
    texts, ids, table = [], [], {}
    chunk_ids = [c.chunk_id for c, _ in registry.iter_chunks()]
    for chunk, embed_text in registry.iter_chunks():
        texts.append(embed_text)
        ids.append(chunk.chunk_id)
    for start in range(0, len(chunk_ids), 2000):
        vectors = registry.vectors(chunk_ids[start : start + 2000])
        for chunk_id, (passage, _) in vectors.items():
            table[chunk_id] = passage
    lookup = {text: table[i] for text, i in zip(texts, ids, strict=True) if i in table}
    store = Chroma(
        collection_name="bare",
        embedding_function=PrecomputedEncoder(embeddings, lookup),
        persist_directory=str(folder),
    )
    with progress_bar("Bare LangChain-Chroma: adding passages", len(texts)) as advance:
        for start in range(0, len(texts), 2000):
            store.add_texts(texts[start : start + 2000], ids=ids[start : start + 2000])
            advance(len(texts[start : start + 2000]))
    return store


def time_queries(service, bare, questions: list[str], k: int, runs: int = 1) -> dict:
    """Alternate ``service.ask`` and ``similarity_search`` per question (so load drift hits
    both alike); warm both up first. ``runs`` passes over the questions: the figures are the
    median of the passes, ``spread`` their min and max (this machine is shared, so one pass
    can be a few ms off).

    Two baselines: ``similarity_search`` with the application's own question encoder (ONNX
    Runtime), and the stock setup, sentence-transformers' PyTorch ``encode`` of the question
    followed by ``similarity_search_by_vector`` on the same store."""
    from threadpoolctl import threadpool_limits

    torch_encode = service.embeddings.encode if hasattr(service.embeddings, "encode") else None
    # OpenBLAS threads keep spinning for a while after a matrix product (the sentence index's),
    # slowing whatever runs next: a PyTorch encode right after an ask took 67 ms instead of
    # 28. One BLAS thread for every contender keeps the alternation fair.
    with threadpool_limits(limits=1, user_api="blas"):
        passes = [
            _time_queries(service, bare, questions, k, torch_encode) for _ in range(max(1, runs))
        ]
    return summarise_runs(passes)


def summarise_runs(passes: list[dict]) -> dict:
    """One row from several passes: each figure's median, ``spread`` = its (min, max), the
    timing breakdown averaged over every question of every pass, and the passes themselves."""
    figures = [
        key
        for key, value in passes[0].items()
        if isinstance(value, int | float) and not isinstance(value, bool) and key != "queries"
    ]
    row: dict = {key: float(np.median([p[key] for p in passes])) for key in figures}
    row["queries"] = passes[0]["queries"]
    row["spread"] = {
        key: [min(p[key] for p in passes), max(p[key] for p in passes)] for key in figures
    }
    counts = [p["queries"] for p in passes]
    row["breakdown_mean_ms"] = {
        key: float(np.average([p["breakdown_mean_ms"][key] for p in passes], weights=counts))
        for key in passes[0]["breakdown_mean_ms"]
    }
    row["passes"] = passes
    row["n_passes"] = len(passes)
    return row


def _time_queries(service, bare, questions: list[str], k: int, torch_encode) -> dict:
    """One pass. Ask and bare search alternate which goes first, question by question; the
    stock PyTorch baseline is timed in a loop of its own afterwards: a PyTorch encode leaves
    its OpenMP threads spinning, and whatever runs next pays for it (an ONNX encode right
    after one took 8.1 ms instead of 5.1, an ask 17.0 ms instead of 13.5), so interleaving it
    before each ask charged every ask ~3 ms that the bare search never paid."""
    service.ask(questions[0])
    bare.similarity_search(questions[0], k=k)
    ask_ms, bare_ms, stock_ms, parts = [], [], [], {}

    def ask(question: str) -> None:
        started = time.perf_counter()
        answer = service.ask(question)
        ask_ms.append((time.perf_counter() - started) * 1000)
        for key, value in answer.timings.items():
            parts.setdefault(key, []).append(value)

    def search(question: str) -> None:
        started = time.perf_counter()
        bare.similarity_search(question, k=k)
        bare_ms.append((time.perf_counter() - started) * 1000)

    with progress_bar("Timing queries", len(questions)) as advance:
        for index, question in enumerate(questions):
            for contender in (ask, search) if index % 2 == 0 else (search, ask):
                contender(question)
            advance(1)
    if torch_encode is not None:
        for question in questions:
            started = time.perf_counter()
            bare.similarity_search_by_vector(torch_encode([question])[0].tolist(), k=k)
            stock_ms.append((time.perf_counter() - started) * 1000)
    result = {
        "queries": len(questions),
        "ask_p50_ms": percentile(ask_ms, 50),
        "ask_p95_ms": percentile(ask_ms, 95),
        "bare_p50_ms": percentile(bare_ms, 50),
        "bare_p95_ms": percentile(bare_ms, 95),
        "breakdown_mean_ms": {key: float(np.mean(v)) for key, v in parts.items()},
    }
    result["ratio_p50"] = result["ask_p50_ms"] / result["bare_p50_ms"]
    result["ratio_p95"] = result["ask_p95_ms"] / result["bare_p95_ms"]
    if stock_ms:
        result["stock_p50_ms"] = percentile(stock_ms, 50)
        result["stock_p95_ms"] = percentile(stock_ms, 95)
        result["stock_ratio_p50"] = result["ask_p50_ms"] / result["stock_p50_ms"]
    return result


def latency_row(
    label: str, service, questions: list[str], tmp: Path, embeddings, runs: int = 1
) -> dict:
    documents, passages = service.store.registry.counts()
    err.print(f"[bold]{label}[/bold]: {documents} documents, {passages} passages")
    bare = build_bare_chroma(service, tmp / "bare-chroma", embeddings)
    row = time_queries(service, bare, questions, service.settings.top_k, runs)
    row.update(
        {"label": label, "documents": documents, "passages": passages, "peak_rss_mb": peak_rss_mb()}
    )
    return row
