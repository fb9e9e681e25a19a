"""Speed: ingest throughput against raw sentence-transformers ``encode``, unchanged re-ingest,
query latency of the full ``service.ask`` against a bare LangChain-Chroma ``similarity_search``
at three index sizes, and peak memory.

    strategy-assistant bench ingest --write-docs                       # seed corpus only
    strategy-assistant bench speed --beir ../shared/bench/scifact --write-docs

Index sizes: the seed corpus (ingested here into a temporary folder), the SciFact abstracts
(the index ``bench retrieval`` builds and caches) and SciFact's sentences as separate passages
(derived from the abstracts index: one passage per sentence, re-using the sentence vectors the
pipeline computed, so nothing is embedded twice). The bare baseline is
``langchain_chroma.Chroma`` with the same embedding model over the same passage texts (their
stored vectors are handed to it, so only the queries are embedded in the timed part).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.models import Chunk
from assistant.core.settings import Settings
from eval.bench.common import (
    StageProgress,
    Timer,
    command_line,
    err,
    git_commit,
    machine,
    machine_line,
    now_stamp,
    out_console,
    peak_rss_mb,
    progress_bar,
    save_json,
    write_section,
)
from eval.metrics import percentile


# -- ingest ------------------------------------------------------------------------------------
def pipeline_texts(service) -> tuple[list[str], list[str]]:
    """What the pipeline embedded for the indexed passages: their embed texts, their sentences."""
    passages, sentences = [], []
    for chunk, embed_text in service.store.registry.iter_chunks():
        passages.append(embed_text)
        sentences.extend(chunk.sentences() or [chunk.text])
    return passages, sentences


def raw_encode_seconds(embeddings, texts: list[str], batch_size: int) -> float:
    """Wall time of one raw ``SentenceTransformer.encode`` call over ``texts``."""
    model = embeddings._model  # the sentence-transformers model itself, no wrapper
    with Timer() as timer:
        model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return timer.seconds


def measure_ingest(
    label: str, folder: Path, settings: Settings, embeddings, data_dir: Path
) -> tuple[dict, object]:
    """Cold ingest of ``folder`` into an empty index at ``data_dir``, then unchanged re-ingest,
    with raw encodes of exactly the texts the pipeline embedded (twice each, as load drifts).
    Returns the row and the service (open, for latency measurements)."""
    from assistant.application.service import AssistantService

    service = AssistantService(settings.model_copy(update={"data_dir": data_dir}), embeddings)
    if service.store.registry.counts()[0]:
        raise RuntimeError(f"{data_dir} is not empty; a cold ingest needs an empty index")
    progress = StageProgress(f"Cold ingest {label}")
    try:
        cold = service.ingest_folder(folder, progress)
    finally:
        progress.close()
    with Timer() as again_timer:
        again = service.ingest_folder(folder)
    passages, sentences = pipeline_texts(service)
    batch = settings.embedding_batch_size
    err.print(f"Raw encode of the same {len(passages) + len(sentences)} texts (x2)…")
    both = [raw_encode_seconds(embeddings, passages + sentences, batch) for _ in range(2)]
    only = [raw_encode_seconds(embeddings, passages, batch) for _ in range(2)]
    documents, chunks = service.store.registry.counts()
    raw_both, raw_only = float(np.mean(both)), float(np.mean(only))
    row = {
        "label": label,
        "documents": documents,
        "passages": chunks,
        "sentences": len(sentences),
        "texts_embedded": cold.texts_embedded,
        "cold_seconds": cold.seconds,
        "embed_seconds": cold.embed_seconds,
        "unchanged_seconds": again.seconds,
        "unchanged_wall_seconds": again_timer.seconds,
        "unchanged_reembedded": again.texts_embedded,
        "passages_per_s": chunks / cold.seconds if cold.seconds else None,
        "raw_both_seconds": both,
        "raw_passages_seconds": only,
        "raw_both_passages_per_s": chunks / raw_both,
        "raw_passages_only_per_s": chunks / raw_only,
        "vs_raw_both": raw_both / cold.seconds,
        "vs_raw_passages_only": raw_only / cold.seconds,
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "peak_rss_mb": peak_rss_mb(),
    }
    return row, service


def run_seed_ingest(settings: Settings, write_docs: bool, embeddings=None) -> dict:
    from assistant.index.embeddings import make_embeddings

    info = machine()
    embeddings = embeddings or make_embeddings(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    raw_encode_seconds(embeddings, ["warm up the model"] * 8, 8)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        row, service = measure_ingest(
            "seed corpus", settings.corpus_dir, settings, embeddings, Path(tmp) / "data"
        )
        service.close()
    report = {
        "machine": info,
        "date": now_stamp(),
        "commit": git_commit(),
        "command": command_line(),
        "ingest": [row],
    }
    _print_ingest([row])
    _save(settings, "bench-ingest", report)
    if write_docs:
        write_section("Ingest", ingest_markdown(report))
        err.print("docs/BENCHMARKS.md: section 'Ingest' updated")
    return report


def _print_ingest(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table(title="Ingest")
    for column in (
        "corpus",
        "passages",
        "texts",
        "cold s",
        "passages/s",
        "unchanged s",
        "vs raw (passages+sentences)",
        "vs raw (passages only)",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            r["label"],
            str(r["passages"]),
            str(r["texts_embedded"]),
            f"{r['cold_seconds']:.1f}",
            f"{r['passages_per_s']:.1f}",
            f"{r['unchanged_seconds']:.2f}",
            f"{100 * r['vs_raw_both']:.0f} %",
            f"{100 * r['vs_raw_passages_only']:.0f} %",
        )
    out_console().print(table)


def ingest_markdown(report: dict) -> str:
    lines = [
        f"Measured {report['date']} (commit {report.get('commit')}) on "
        f"{machine_line(report['machine'])}.",
        "",
        "Reproduce with:",
        "",
        "```bash",
        report["command"],
        "```",
        "",
        "Cold ingest into an empty index, then the same folder again (nothing changed). The "
        "pipeline embeds every passage (with its title/section header) **and** every sentence "
        "of it (for the reranker and the answerer). Next to it, in the same run, one raw "
        "`SentenceTransformer.encode` call (batch size as configured) over exactly the texts the "
        "pipeline embedded, and over the passage texts only; raw encodes run twice and are "
        "averaged. Throughput share = raw encode time / ingest time (100 % = no overhead; "
        "target ≥ 90 % against the same texts).",
        "",
        "| corpus | documents | passages | texts embedded | cold ingest (of which "
        "embedding) | passages/s | unchanged re-ingest | raw encode, passages+sentences | "
        "share vs that | raw encode, passages only | share vs that | load avg after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["ingest"]:
        both, only = r["raw_both_seconds"], r["raw_passages_seconds"]
        lines.append(
            f"| {r['label']} | {r['documents']} | {r['passages']} | {r['texts_embedded']} | "
            f"{r['cold_seconds']:.1f} s ({r['embed_seconds']:.1f} s) | "
            f"{r['passages_per_s']:.1f} | {r['unchanged_seconds']:.2f} s | "
            f"{np.mean(both):.1f} s ({min(both):.1f}–{max(both):.1f}) | "
            f"{100 * r['vs_raw_both']:.0f} % | "
            f"{np.mean(only):.1f} s ({min(only):.1f}–{max(only):.1f}) | "
            f"{100 * r['vs_raw_passages_only']:.0f} % | {r.get('loadavg_1m_after', '–')} |"
        )
    target = all(r["vs_raw_both"] >= 0.9 for r in report["ingest"])
    lines += [
        "",
        f"Target ≥ 90 % of raw encode of the same texts: **{'met' if target else 'not met'}**. "
        "Against raw encode of the passages alone the pipeline necessarily falls short: it "
        "embeds several sentences per passage as well. Raw encodes show their spread (two "
        "runs); this machine is shared, so compare the columns of one row, not rows of "
        "different runs.",
        "",
    ]
    return "\n".join(lines)


# -- query latency -----------------------------------------------------------------------------
class PrecomputedEmbeddings(Embeddings):
    """Hands LangChain-Chroma the vectors already computed for the passages (so building the
    baseline does not re-embed them); queries go through the real model."""

    def __init__(self, inner, vectors: dict[str, np.ndarray]) -> None:
        self.inner = inner
        self.vectors = vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            for text, vector in zip(missing, self.inner.encode(missing), strict=True):
                self.vectors[text] = vector
        return [self.vectors[t].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


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
        embedding_function=PrecomputedEmbeddings(embeddings, lookup),
        persist_directory=str(folder),
    )
    with progress_bar("Bare LangChain-Chroma: adding passages", len(texts)) as advance:
        for start in range(0, len(texts), 2000):
            store.add_texts(texts[start : start + 2000], ids=ids[start : start + 2000])
            advance(len(texts[start : start + 2000]))
    return store


def time_queries(service, bare, questions: list[str], k: int) -> dict:
    """Alternate ``service.ask`` and ``similarity_search`` per question (so load drift hits
    both alike); warm both up first.

    Two baselines: ``similarity_search`` with the application's own question encoder (ONNX
    Runtime), and the stock setup, sentence-transformers' PyTorch ``encode`` of the question
    followed by ``similarity_search_by_vector`` on the same store."""
    from threadpoolctl import threadpool_limits

    torch_encode = service.embeddings.encode if hasattr(service.embeddings, "encode") else None
    # OpenBLAS threads keep spinning for a while after a matrix product (the sentence index's),
    # slowing whatever runs next: a PyTorch encode right after an ask took 67 ms instead of
    # 28. One BLAS thread for every contender keeps the alternation fair.
    with threadpool_limits(limits=1, user_api="blas"):
        return _time_queries(service, bare, questions, k, torch_encode)


def _time_queries(service, bare, questions: list[str], k: int, torch_encode) -> dict:
    service.ask(questions[0])
    bare.similarity_search(questions[0], k=k)
    ask_ms, bare_ms, stock_ms, parts = [], [], [], {}
    with progress_bar("Timing queries", len(questions)) as advance:
        for question in questions:
            started = time.perf_counter()
            answer = service.ask(question)
            ask_ms.append((time.perf_counter() - started) * 1000)
            for key, value in answer.timings.items():
                parts.setdefault(key, []).append(value)
            started = time.perf_counter()
            bare.similarity_search(question, k=k)
            bare_ms.append((time.perf_counter() - started) * 1000)
            if torch_encode is not None:
                started = time.perf_counter()
                bare.similarity_search_by_vector(torch_encode([question])[0].tolist(), k=k)
                stock_ms.append((time.perf_counter() - started) * 1000)
            advance(1)
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


def build_sentence_index(source, base: Settings, embeddings, rebuild: bool):
    """SciFact sentences as separate passages, derived from the abstracts index ``source``:
    one passage per sentence with the sentence vector the pipeline already computed."""
    from assistant.application.service import AssistantService

    folder = source.folder.with_name(source.folder.name.replace("scifact", "scifact-sentences", 1))
    marker = folder / "bench-index.json"
    if rebuild and folder.exists():
        shutil.rmtree(folder)
    settings = base.model_copy(update={"data_dir": folder})
    service = AssistantService(settings, embeddings=embeddings)
    if marker.exists():
        return service, json.loads(marker.read_text(encoding="utf-8"))
    registry, target = source.service.store.registry, service.store
    stored = registry.documents()
    total = 0
    with progress_bar("Sentence index", len(stored)) as advance:
        for document in stored:
            chunks = registry.chunks_of(document.meta.doc_id)
            vectors = registry.vectors([c.chunk_id for c in chunks])
            new_chunks, texts, rows = [], [], []
            for chunk in chunks:
                spans = chunk.sentence_spans or [(0, len(chunk.text))]
                matrix = vectors[chunk.chunk_id][1]
                for index, (start, end) in enumerate(spans):
                    text = chunk.text[start:end]
                    if not text.strip() or index >= len(matrix):
                        continue
                    ordinal = len(new_chunks)
                    new_chunks.append(
                        Chunk(
                            chunk_id=f"{document.meta.doc_id}:s{document.content_hash[:11]}:"
                            f"{ordinal:04d}",
                            doc_id=document.meta.doc_id,
                            ordinal=ordinal,
                            text=text,
                            start=chunk.start + start,
                            end=chunk.start + end,
                            sentence_spans=[(0, len(text))],
                        )
                    )
                    texts.append(f"{document.meta.title}\n{text}")
                    rows.append(matrix[index])
            if not new_chunks:
                advance(1)
                continue
            matrix = np.vstack(rows).astype(np.float32)
            target.vectors.upsert(
                [c.chunk_id for c in new_chunks],
                matrix,
                [{"doc_id": c.doc_id, "content_hash": "s", "kind": c.kind} for c in new_chunks],
            )
            target.registry.replace_document(
                document.meta,
                document.content_hash,
                document.text,
                [],
                new_chunks,
                texts,
                matrix,
                [row[None, :] for row in rows],
            )
            total += len(new_chunks)
            advance(1)
    target.rebuild_keyword_index()
    meta = {"passages": total, "documents": len(stored), "derived_from": str(source.folder)}
    marker.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return service, meta


def run(
    beir: Path | None,
    queries: int,
    ingest_docs: int,
    sizes: list[str],
    rebuild: bool,
    write_docs: bool,
    settings: Settings,
) -> dict:
    from assistant.index.embeddings import make_embeddings
    from eval.bench.datasets import load_beir
    from eval.bench.index_cache import build_index, write_corpus_folder
    from eval.questions import load_questions

    info = machine()
    embeddings = make_embeddings(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    # caches off: every timed question pays for the whole pipeline, even a repeated one
    base = settings.model_copy(
        update={
            "reranker": "sentence",
            "retrieval_mode": "hybrid",
            "answer_cache_size": 0,
            "query_cache_size": 0,
        }
    )
    raw_encode_seconds(embeddings, ["warm up the model"] * 8, 8)
    report: dict = {
        "machine": info,
        "date": now_stamp(),
        "commit": git_commit(),
        "command": command_line(),
        "ingest": [],
        "latency": [],
    }
    dataset = load_beir(beir, "test") if beir is not None else None
    seed_questions = [q.question for q in load_questions()][:queries]
    # ingest throughput (and, on the seed index just built, the first latency row)
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as tmp:
        row, service = measure_ingest(
            "seed corpus", settings.corpus_dir, base, embeddings, Path(tmp) / "data"
        )
        report["ingest"].append(row)
        if "seed" in sizes:
            report["latency"].append(
                _latency("seed corpus", service, seed_questions, Path(tmp), embeddings)
            )
        service.close()
    if dataset is not None and ingest_docs:
        with tempfile.TemporaryDirectory(prefix="bench-sample-") as tmp:
            sample = dataset.docs[:ingest_docs]
            write_corpus_folder(sample, Path(tmp) / "docs")
            label = f"SciFact, first {len(sample)} abstracts"
            row, service = measure_ingest(
                label, Path(tmp) / "docs", base, embeddings, Path(tmp) / "data"
            )
            service.close()
            report["ingest"].append(row)
    _print_ingest(report["ingest"])
    if dataset is not None and ({"abstracts", "sentences"} & set(sizes)):
        scifact_questions = list(dataset.queries.values())[:queries]
        built = build_index("scifact", dataset.docs, base, embeddings, rebuild)
        if "abstracts" in sizes:
            with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
                report["latency"].append(
                    _latency(
                        "SciFact abstracts", built.service, scifact_questions, Path(tmp), embeddings
                    )
                )
        if "sentences" in sizes:
            service, _ = build_sentence_index(built, base, embeddings, rebuild)
            with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
                report["latency"].append(
                    _latency(
                        "SciFact sentences as passages",
                        service,
                        scifact_questions,
                        Path(tmp),
                        embeddings,
                    )
                )
            service.close()
        built.service.close()
    report["peak_rss_mb"] = peak_rss_mb()
    _print_latency(report["latency"])
    _save(settings, "bench-speed", report)
    if write_docs:
        write_section("Ingest", ingest_markdown(report))
        if report["latency"]:
            write_section("Query latency", latency_markdown(report))
        err.print("docs/BENCHMARKS.md: sections 'Ingest' and 'Query latency' updated")
    return report


def _latency(label: str, service, questions: list[str], tmp: Path, embeddings) -> dict:
    documents, passages = service.store.registry.counts()
    err.print(f"[bold]{label}[/bold]: {documents} documents, {passages} passages")
    bare = build_bare_chroma(service, tmp / "bare-chroma", embeddings)
    row = time_queries(service, bare, questions, service.settings.top_k)
    row.update(
        {"label": label, "documents": documents, "passages": passages, "peak_rss_mb": peak_rss_mb()}
    )
    return row


def _print_latency(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table(title="Query latency (ms)")
    for column in (
        "index",
        "passages",
        "ask p50",
        "ask p95",
        "bare p50",
        "bare p95",
        "ratio p50",
        "ratio p95",
        "peak RSS MB",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            r["label"],
            str(r["passages"]),
            f"{r['ask_p50_ms']:.0f}",
            f"{r['ask_p95_ms']:.0f}",
            f"{r['bare_p50_ms']:.0f}",
            f"{r['bare_p95_ms']:.0f}",
            f"{r['ratio_p50']:.2f}×",
            f"{r['ratio_p95']:.2f}×",
            f"{r['peak_rss_mb']:.0f}",
        )
    out_console().print(table)


def latency_markdown(report: dict) -> str:
    lines = [
        f"Measured {report['date']} (commit {report.get('commit')}) on "
        f"{machine_line(report['machine'])}.",
        "",
        "Reproduce with:",
        "",
        "```bash",
        report["command"],
        "```",
        "",
        "In-process wall time per question of the full `service.ask` (query embedding, Chroma + "
        "BM25, RRF, sentence rerank, MMR, extractive answer) next to a bare "
        "`langchain_chroma.Chroma.similarity_search(k=top_k)` with the same embedding model over "
        "the same passage texts, alternating question by question after one warm-up each. "
        "Two baselines: the bare store with the application's own question encoder (ONNX "
        "Runtime; the strict comparison, since only retrieval and answering differ) and the "
        "stock setup, sentence-transformers' PyTorch `encode` of the question then "
        "`similarity_search_by_vector` on the same store. BLAS is limited to one thread while "
        "timing (idle OpenBLAS threads spin and slow whichever call comes next). "
        "Questions: the known-findings set on the seed corpus, SciFact test claims on the "
        "others. The sentence-level index is derived from the SciFact abstracts index (one "
        "passage per sentence, re-using the sentence vectors computed at ingest). Peak RSS is "
        "the process's `ru_maxrss` after that row (it only grows: it includes earlier rows).",
        "",
        "| index | passages | questions | ask p50 | ask p95 | bare, same encoder p50 | p95 | "
        "ratio p50 | ratio p95 | bare, stock PyTorch encoder p50 | ratio p50 | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["latency"]:
        stock = (
            f"{r['stock_p50_ms']:.1f} ms | {r['stock_ratio_p50']:.2f}×"
            if "stock_p50_ms" in r
            else "– | –"
        )
        lines.append(
            f"| {r['label']} | {r['passages']} | {r['queries']} | {r['ask_p50_ms']:.0f} ms | "
            f"{r['ask_p95_ms']:.0f} ms | {r['bare_p50_ms']:.1f} ms | {r['bare_p95_ms']:.1f} ms | "
            f"{r['ratio_p50']:.2f}× | {r['ratio_p95']:.2f}× | {stock} | "
            f"{r['peak_rss_mb']:.0f} MB |"
        )

    def verdict(key: str) -> str:
        rows = [r for r in report["latency"] if key in r]
        met = [r["label"] for r in rows if r[key] <= 1.5]
        if rows and len(met) == len(rows):
            return "**met** at every size"
        return f"**not met** (met for: {', '.join(met) or 'none'})"

    lines += [
        "",
        f"Target ask ≤ 1.5× bare Chroma (p50): against the same encoder {verdict('ratio_p50')}; "
        f"against the stock PyTorch encoder {verdict('stock_ratio_p50')}.",
        "",
        "Where the time goes (mean ms per `ask`, from `Answer.timings`):",
        "",
    ]
    keys = sorted({k for r in report["latency"] for k in r["breakdown_mean_ms"]})
    lines += [
        "| index | " + " | ".join(keys) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    for r in report["latency"]:
        cells = [f"{r['breakdown_mean_ms'].get(k, float('nan')):.1f}" for k in keys]
        lines.append(f"| {r['label']} | " + " | ".join(cells) + " |")
    lines += ["", f"Peak RSS of the whole run: {report['peak_rss_mb']:.0f} MB.", ""]
    return "\n".join(lines)


def _save(settings: Settings, prefix: str, report: dict) -> None:
    path = settings.reports_dir / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    save_json(path, report)
    err.print(f"Report written to {path}")
