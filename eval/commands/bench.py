"""``strategy-assistant bench retrieval | speed | ingest | ingest-speed | answerability``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eval.commands.common import err, load_settings

bench_app = typer.Typer(
    no_args_is_help=True,
    help="Benchmarks: retrieval quality on public data, ingest and query speed.",
)


@bench_app.command("retrieval")
def bench_retrieval(
    beir: Annotated[
        Path | None, typer.Option(help="BEIR folder (e.g. ../shared/bench/scifact).")
    ] = None,
    split: Annotated[
        str, typer.Option(help="BEIR qrels split: test (report) or train (tune).")
    ] = "test",
    squad: Annotated[Path | None, typer.Option(help="SQuAD-format JSON (dev-v1.1.json).")] = None,
    policyqa: Annotated[Path | None, typer.Option(help="PolicyQA dev.json (SQuAD format).")] = None,
    max_queries: Annotated[
        int | None, typer.Option(min=1, help="At most this many queries per set (fixed seed).")
    ] = None,
    squad_queries: Annotated[
        int, typer.Option(min=1, help="Questions sampled from SQuAD-format sets (fixed seed).")
    ] = 1000,
    depth: Annotated[int, typer.Option(min=100, help="Passages ranked per query.")] = 200,
    variants: Annotated[
        str, typer.Option(help="Comma-separated variants.")
    ] = "bm25,dense,hybrid,hybrid+rerank",
    rebuild: Annotated[bool, typer.Option(help="Rebuild cached indexes.")] = False,
    tune: Annotated[
        bool, typer.Option(help="Also explore fusion settings (train/dev only).")
    ] = False,
    write_docs: Annotated[
        bool, typer.Option(help="Write the results into docs/BENCHMARKS.md.")
    ] = False,
) -> None:
    """nDCG@10 / recall@100 (BEIR) and hit@1/@5 / MRR (SQuAD format) for four variants."""
    from eval.bench.retrieval import VARIANTS, run

    chosen = [v.strip() for v in variants.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown:
        err.print(f"[red]Unknown variant(s) {unknown}[/red]; choose from {', '.join(VARIANTS)}")
        raise typer.Exit(2)
    if not (beir or squad or policyqa):
        err.print("[red]Give at least one of --beir, --squad, --policyqa.[/red]")
        raise typer.Exit(2)
    if tune and beir and split == "test":
        err.print(
            "[yellow]Tuning on SciFact test would overfit the reported figures; use "
            "--split train to tune.[/yellow]"
        )
    run(
        beir,
        split,
        squad,
        policyqa,
        max_queries,
        squad_queries,
        depth,
        chosen,
        rebuild,
        tune,
        write_docs,
        load_settings(),
    )


@bench_app.command("speed")
def bench_speed(
    beir: Annotated[
        Path | None, typer.Option(help="BEIR folder for the 5k-abstract and sentence indexes.")
    ] = None,
    queries: Annotated[int, typer.Option(min=5, help="Queries timed per index size.")] = 100,
    ingest_docs: Annotated[
        int, typer.Option(min=0, help="SciFact abstracts for the ingest-throughput run (0: none).")
    ] = 300,
    sizes: Annotated[
        str, typer.Option(help="Index sizes: seed,abstracts,sentences.")
    ] = "seed,abstracts,sentences",
    rebuild: Annotated[bool, typer.Option(help="Rebuild cached indexes.")] = False,
    write_docs: Annotated[
        bool, typer.Option(help="Write the results into docs/BENCHMARKS.md.")
    ] = False,
    only: Annotated[
        str,
        typer.Option(
            help="all | ingest | query: query times only the asks (the seed corpus is still "
            "ingested, untimed; no raw encodes, no SciFact ingest sample)."
        ),
    ] = "all",
    runs: Annotated[
        int, typer.Option(min=1, help="Timing passes per index size: median and min-max.")
    ] = 1,
    baseline: Annotated[
        Path | None,
        typer.Option(help="An earlier bench-speed JSON report, shown as before -> after."),
    ] = None,
) -> None:
    """Ingest throughput vs raw encode, re-ingest time, query latency vs bare Chroma, memory."""
    from eval.bench.speed import run

    if only not in ("all", "ingest", "query"):
        raise typer.BadParameter("--only must be all, ingest or query")
    run(
        beir,
        queries,
        ingest_docs,
        [s.strip() for s in sizes.split(",") if s.strip()],
        rebuild,
        write_docs,
        load_settings(),
        only,
        runs,
        baseline,
    )


@bench_app.command("ingest")
def bench_ingest(
    write_docs: Annotated[
        bool, typer.Option(help="Write the results into docs/BENCHMARKS.md.")
    ] = False,
) -> None:
    """Seed-corpus ingest: cold, unchanged re-ingest, passages/s (a private temp index)."""
    from eval.bench.ingest_speed import run_seed_ingest

    run_seed_ingest(load_settings(), write_docs)


@bench_app.command("ingest-speed")
def bench_ingest_speed(
    beir: Annotated[
        Path | None, typer.Option(help="BEIR folder (SciFact) for the abstracts corpus.")
    ] = None,
    docs: Annotated[int, typer.Option(min=0, help="SciFact abstracts ingested (0: none).")] = 1000,
    runs: Annotated[int, typer.Option(min=1, help="Runs (each: every corpus, every encoder).")] = 3,
    backends: Annotated[
        str, typer.Option(help="Ingest encoders compared: torch,onnx,bf16.")
    ] = "torch,onnx",
    seed: Annotated[bool, typer.Option(help="Include the seed corpus.")] = True,
    raw: Annotated[
        bool,
        typer.Option(
            help="Time the raw PyTorch encode after each ingest (--no-raw: ingest times only, "
            "e.g. for the whole SciFact corpus)."
        ),
    ] = True,
    write_docs: Annotated[
        bool, typer.Option(help="Write the results into docs/BENCHMARKS.md.")
    ] = False,
) -> None:
    """Cold ingest per ingest encoder vs a raw PyTorch encode of the same texts, as a ratio."""
    from eval.bench.ingest_backends import run

    names = [b.strip() for b in backends.split(",") if b.strip()]
    if not names or any(b not in ("torch", "onnx", "bf16") for b in names):
        err.print("--backends: a comma-separated list of torch, onnx, bf16")
        raise typer.Exit(2)
    run(beir, docs, runs, names, seed, write_docs, load_settings(), raw)


@bench_app.command("workers")
def bench_workers(
    data_dir: Annotated[
        Path, typer.Option(help="Data folder (the seed corpus is ingested if it is empty).")
    ] = Path("data-bench-workers/data"),
    workers: Annotated[int, typer.Option(min=2, max=16, help="Workers compared with 1.")] = 2,
    runs: Annotated[int, typer.Option(min=1, help="Runs of each configuration.")] = 3,
    clients: Annotated[int, typer.Option(min=1, help="Concurrent clients.")] = 20,
    duration: Annotated[float, typer.Option(min=1, help="Seconds of load per run.")] = 20.0,
    write_docs: Annotated[
        bool, typer.Option(help="Write the results into docs/BENCHMARKS.md.")
    ] = False,
) -> None:
    """Uncached throughput of `serve --workers N` vs one worker, then N workers under writes."""
    from eval.bench.common import command_line, git_commit, machine, now_stamp, write_section
    from eval.bench.workers import run
    from eval.bench.workers_report import render

    header = {"date": now_stamp(), "commit": git_commit(), "machine": machine()}
    header["command"] = command_line()
    result = run(data_dir, workers, runs, clients, duration)
    body = render(result, workers, clients, duration, header)
    print(body)
    if write_docs:
        write_section("Serving with several workers", body)


@bench_app.command("answerability")
def bench_answerability(
    data: Annotated[
        Path, typer.Option(help="Folder holding squad/, policyqa/ and scifact/ (read-only).")
    ] = Path("../shared/bench"),
    squad_questions: Annotated[
        int, typer.Option(min=10, help="SQuAD dev questions sampled (fixed seed).")
    ] = 1500,
    policyqa_questions: Annotated[
        int, typer.Option(min=10, help="PolicyQA dev questions sampled (fixed seed).")
    ] = 800,
    scifact_docs: Annotated[
        int, typer.Option(min=0, help="SciFact abstracts mixed into the mixed index.")
    ] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed of the samples and the split.")] = 13,
    max_abstained: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Threshold rule: most answerable tuning cases abstained."
        ),
    ] = 0.03,
    rebuild: Annotated[bool, typer.Option(help="Rebuild cached indexes.")] = False,
    refresh: Annotated[
        bool, typer.Option(help="Retrieve again instead of using cached retrieval results.")
    ] = False,
    write_model: Annotated[
        bool,
        typer.Option(
            help="Write the fitted weights to assistant/answering/data/answerability.json."
        ),
    ] = True,
    write_docs: Annotated[
        bool, typer.Option(help="Write the results into docs/BENCHMARKS.md.")
    ] = False,
) -> None:
    """Fit the answerability model on public questions asked with and without their gold
    paragraph; report held-out AUROC and abstention P/R, alone and mixed, vs the old rule."""
    from eval.bench.answerability import run

    for sub in ("squad", "policyqa", "scifact"):
        if not (data / sub).is_dir():
            err.print(f"[red]{data / sub} is missing[/red] (see ../shared/bench/README.md).")
            raise typer.Exit(2)
    run(
        data,
        squad_questions,
        policyqa_questions,
        scifact_docs,
        seed,
        max_abstained,
        rebuild,
        refresh,
        write_model,
        write_docs,
        load_settings(),
    )
