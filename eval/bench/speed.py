"""Speed: ingest throughput against raw sentence-transformers ``encode``, unchanged re-ingest,
query latency of the full ``service.ask`` against a bare LangChain-Chroma ``similarity_search``
at three index sizes, and peak memory.

    strategy-assistant bench ingest --write-docs                       # seed corpus only
    strategy-assistant bench speed --beir ../shared/bench/scifact --write-docs
    strategy-assistant bench speed --beir ../shared/bench/scifact --only query --runs 3

Index sizes: the seed corpus (ingested here into a temporary folder), the SciFact abstracts
(the index ``bench retrieval`` builds and caches) and SciFact's sentences as separate passages
(derived from the abstracts index: one passage per sentence, re-using the sentence vectors the
pipeline computed, so nothing is embedded twice). The bare baseline is
``langchain_chroma.Chroma`` with the same embedding model over the same passage texts (their
stored vectors are handed to it, so only the queries are embedded in the timed part).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from assistant.core.settings import Settings
from eval.bench.common import (
    command_line,
    err,
    git_commit,
    machine,
    now_stamp,
    peak_rss_mb,
    write_section,
)
from eval.bench.ingest_speed import measure_ingest, raw_encode_seconds
from eval.bench.query_latency import latency_row
from eval.bench.sentence_passages import build_sentence_index
from eval.bench.speed_report import (
    ingest_markdown,
    latency_markdown,
    print_ingest,
    print_latency,
    save_report,
)


def run(
    beir: Path | None,
    queries: int,
    ingest_docs: int,
    sizes: list[str],
    rebuild: bool,
    write_docs: bool,
    settings: Settings,
    only: str = "all",
    runs: int = 1,
    baseline: Path | None = None,
) -> dict:
    """``only``: "all", "ingest" (throughput and re-ingest only) or "query" (latency only: the
    seed corpus is still ingested, untimed, and no raw encodes run); ``runs``: timing passes
    per index size; ``baseline``: an earlier report whose ratios the section sets beside."""
    if only not in ("all", "ingest", "query"):
        raise ValueError(f"only must be all, ingest or query, not {only!r}")
    timed = only != "ingest"
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
        "runs": runs,
        "ingest": [],
        "latency": [],
    }
    dataset = load_beir(beir, "test") if beir is not None else None
    seed_questions = [q.question for q in load_questions()][:queries]
    # ingest throughput (and, on the seed index just built, the first latency row)
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as tmp:
        if only == "query":
            service = seed_service(base, embeddings, Path(tmp) / "data")
        else:
            row, service = measure_ingest(
                "seed corpus", settings.corpus_dir, base, embeddings, Path(tmp) / "data"
            )
            report["ingest"].append(row)
        if "seed" in sizes and timed:
            report["latency"].append(
                latency_row("seed corpus", service, seed_questions, Path(tmp), embeddings, runs)
            )
        service.close()
    if dataset is not None and ingest_docs and only != "query":
        with tempfile.TemporaryDirectory(prefix="bench-sample-") as tmp:
            sample = dataset.docs[:ingest_docs]
            write_corpus_folder(sample, Path(tmp) / "docs")
            label = f"SciFact, first {len(sample)} abstracts"
            row, service = measure_ingest(
                label, Path(tmp) / "docs", base, embeddings, Path(tmp) / "data"
            )
            service.close()
            report["ingest"].append(row)
    if report["ingest"]:
        print_ingest(report["ingest"])
    if dataset is not None and timed and ({"abstracts", "sentences"} & set(sizes)):
        scifact_questions = list(dataset.queries.values())[:queries]
        built = build_index("scifact", dataset.docs, base, embeddings, rebuild)
        if "abstracts" in sizes:
            with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
                report["latency"].append(
                    latency_row(
                        "SciFact abstracts",
                        built.service,
                        scifact_questions,
                        Path(tmp),
                        embeddings,
                        runs,
                    )
                )
        if "sentences" in sizes:
            service, _ = build_sentence_index(built, base, embeddings, rebuild)
            with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
                report["latency"].append(
                    latency_row(
                        "SciFact sentences as passages",
                        service,
                        scifact_questions,
                        Path(tmp),
                        embeddings,
                        runs,
                    )
                )
            service.close()
        built.service.close()
    report["peak_rss_mb"] = peak_rss_mb()
    if baseline is not None:
        report["baseline"] = baseline_of(json.loads(baseline.read_text(encoding="utf-8")))
    if report["latency"]:
        print_latency(report["latency"])
    save_report(settings, "bench-speed", report)
    if write_docs:
        written = []
        if report["ingest"]:
            write_section("Ingest", ingest_markdown(report))
            written.append("'Ingest'")
        if report["latency"]:
            write_section("Query latency", latency_markdown(report))
            written.append("'Query latency'")
        err.print(f"docs/BENCHMARKS.md: {' and '.join(written) or 'nothing'} updated")
    return report


def seed_service(settings: Settings, embeddings, data_dir: Path):
    """The seed corpus ingested into an empty index at ``data_dir``, untimed (``--only query``:
    the latency rows need the index, not the throughput figures)."""
    from assistant.application.service import AssistantService

    service = AssistantService(settings.model_copy(update={"data_dir": data_dir}), embeddings)
    service.ingest_folder(settings.corpus_dir)
    return service


def baseline_of(report: dict) -> dict:
    """What the before -> after table needs from an earlier report: its commit, date and the
    ratios of each index size."""
    keys = ("ask_p50_ms", "ask_p95_ms", "bare_p50_ms", "bare_p95_ms", "ratio_p50", "ratio_p95")
    rows = {}
    for row in report.get("latency", []):
        rows[row["label"]] = {key: row[key] for key in keys if key in row}
        rows[row["label"]]["spread"] = row.get("spread", {})
        rows[row["label"]]["n_passes"] = row.get("n_passes", 1)
    return {"commit": report.get("commit"), "date": report.get("date"), "rows": rows}
