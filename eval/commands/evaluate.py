"""``strategy-assistant eval``: the known-findings questions through the real service, or
(``--calibrate``) a sweep of the abstain threshold."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from eval.commands.common import err, load_settings, out_console


def eval_service(settings, live: bool):
    """The service to evaluate: by default a private index of ``corpus_dir`` (so uploads to the
    working index do not move the numbers), rebuilt when the ingest code changes."""
    from assistant.application.service import AssistantService
    from eval.bench.common import StageProgress
    from eval.bench.index_cache import ingest_code_fingerprint

    if live:
        with err.status("Loading the embedding model and index…"):
            service = AssistantService(settings)
        if service.store.registry.counts()[0] == 0:
            err.print("[red]The index is empty.[/red] Run `strategy-assistant ingest` first.")
            raise typer.Exit(1)
        return service
    root = settings.data_dir / "eval"
    folder = root / f"index-{ingest_code_fingerprint()}"
    if root.exists():
        for stale in root.glob("index-*"):
            if stale != folder:
                shutil.rmtree(stale, ignore_errors=True)
    eval_settings = settings.model_copy(update={"data_dir": folder})
    with err.status("Loading the embedding model…"):
        service = AssistantService(eval_settings)
    progress = StageProgress(f"Indexing {settings.corpus_dir.name}/ for the evaluation")
    try:
        report = service.ingest_folder(settings.corpus_dir, progress)
    finally:
        progress.close()
    if report.changed:
        err.print(
            f"Evaluation index: {len(report.added) + len(report.updated)} documents embedded in "
            f"{report.seconds:.1f}s ({folder})"
        )
    return service


def eval_command(
    subset: Annotated[
        str,
        typer.Option(help="quick (~27 questions), full, a kind, or comma-separated ids."),
    ] = "full",
    questions: Annotated[
        Path | None, typer.Option(help="Question file (default eval/questions.yaml).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON report on stdout.")
    ] = False,
    calibrate: Annotated[
        bool, typer.Option("--calibrate", help="Sweep the abstain threshold instead.")
    ] = False,
    thresholds: Annotated[
        Path | None, typer.Option(help="Thresholds file (default eval/thresholds.yaml).")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Exit 1 when a threshold is broken.")
    ] = True,
    live: Annotated[
        bool,
        typer.Option(
            "--live", help="Evaluate the configured index as it is, not a private corpus index."
        ),
    ] = False,
    max_support_loss: Annotated[
        float, typer.Option(help="--calibrate: answer support that may be given up.")
    ] = 0.02,
    write_docs: Annotated[
        bool,
        typer.Option(help="Also write the tables into docs/BENCHMARKS.md (Retrieval quality)."),
    ] = False,
) -> None:
    """Run the known-findings questions through the real service and score the answers."""
    from eval.questions import QuestionFileError, load_questions, select

    settings = load_settings()
    try:
        all_questions = load_questions(questions)
        chosen = select(all_questions, subset)
    except QuestionFileError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    service = eval_service(settings, live)
    try:
        if calibrate:
            code = _calibrate(
                service,
                chosen,
                all_questions,
                settings,
                subset,
                max_support_loss,
                as_json,
                write_docs,
            )
        else:
            code = _evaluate(
                service,
                chosen,
                all_questions,
                settings,
                subset,
                questions,
                as_json,
                thresholds,
                check,
                live,
                write_docs,
            )
    finally:
        service.close()
    raise typer.Exit(code)


def _evaluate(
    service,
    chosen,
    all_questions,
    settings,
    subset,
    questions,
    as_json,
    thresholds_path,
    check,
    live,
    write_docs=False,
) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from eval import report as reporting
    from eval.known_findings import failures, per_kind, run_questions, summarise
    from eval.thresholds import check as check_thresholds
    from eval.thresholds import load_thresholds

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )
    with progress:
        task = progress.add_task("Asking", total=len(chosen))

        def done(result) -> None:
            mark = (
                "ok" if (result.supported or (not result.answerable and result.abstained)) else "✗"
            )
            progress.update(task, description=f"Asking ({result.id} {mark})")
            if any(q.id == result.id for q in chosen):
                progress.advance(task)

        results = run_questions(service, chosen, done, all_questions)
    summary = summarise(results)
    kinds = per_kind(results)
    # thresholds are kept per subset name ('full', 'quick'); a custom question file is only
    # checked against a thresholds file given with it
    table = load_thresholds(thresholds_path)
    section_name = subset if subset in table and (thresholds_path or not questions) else None
    section = table.get(section_name) if section_name else None
    breaches = check_thresholds(summary, section) if section is not None else []
    if section is None and check:
        err.print(
            f"[yellow]No thresholds for subset {subset!r}[/yellow] (eval/thresholds.yaml has "
            "'full' and 'quick' for the default question file)."
        )
    meta = {
        "subset": subset,
        "questions_file": str(questions or "eval/questions.yaml"),
        "index": "live" if live else "private corpus index",
        "settings": {
            "retrieval_mode": service.retriever.mode,
            "reranker": getattr(service.retriever.reranker, "name", "?"),
            "top_k": settings.top_k,
            "fetch_k": settings.fetch_k,
            "rrf_k": settings.rrf_k,
            "abstain_threshold": service.extractive.abstain_threshold,
            "answerer": "llm" if service.llm is not None else "extractive",
            "embedding_model": getattr(service.embeddings, "name", "?"),
        },
        "thresholds_section": section_name,
    }
    result = reporting.build_report(summary, kinds, results, failures(results), breaches, meta)
    json_path, md_path = reporting.write_reports(result, settings.reports_dir)
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
    else:
        reporting.print_report(result, out_console())
    err.print(f"Reports: {json_path} and {md_path}")
    if write_docs:
        from eval.bench.common import write_section

        write_section(
            "Retrieval quality",
            reporting.docs_markdown(result, md_path),
            sub="Known-findings questions (seed corpus)",
        )
        err.print("docs/BENCHMARKS.md: known-findings table updated")
    if breaches:
        err.print(f"[red]{len(breaches)} threshold(s) broken[/red] ({section_name}):")
        for breach in breaches:
            err.print(f"  - {breach}")
        return 1 if check else 0
    if section is not None:
        err.print(f"[green]All {section_name} thresholds met.[/green]")
    return 0


def _calibrate(
    service, chosen, all_questions, settings, subset, max_support_loss, as_json, write_docs=False
) -> int:
    from datetime import datetime

    from eval.bench.common import progress_bar
    from eval.calibrate import default_thresholds, recommend, retrieve_all, sweep
    from eval.calibration_report import calibration_summary, calibration_table

    with progress_bar("Retrieving", len(chosen)) as advance:
        rows = retrieve_all(service, chosen, all_questions, advance)
    if not any(not r.question.answerable for r in rows):
        err.print("[red]Calibration needs unanswerable questions in the selection.[/red]")
        return 2
    curve = sweep(service, rows, default_thresholds())
    best = recommend(curve, max_support_loss)
    current = service.extractive.abstain_threshold
    evidence = {
        "answerable": sorted(round(r.best_evidence, 3) for r in rows if r.question.answerable),
        "unanswerable": {
            r.question.id: round(r.best_evidence, 3) for r in rows if not r.question.answerable
        },
    }
    payload = {
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "subset": subset,
        "questions": len(rows),
        "current_threshold": current,
        "recommended": best,
        "curve": curve,
        "best_evidence": evidence,
    }
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    path = settings.reports_dir / f"calibration-{subset}-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        out_console().print(calibration_table(curve, best, current, len(rows)))
        out_console().print(calibration_summary(best, current))
    err.print(f"Curve written to {path}")
    if write_docs:
        from eval.bench.common import write_section
        from eval.calibration_report import calibration_markdown

        write_section(
            "Retrieval quality", calibration_markdown(payload), sub="Abstention calibration"
        )
        err.print("docs/BENCHMARKS.md: calibration updated")
    return 0
