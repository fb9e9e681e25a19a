"""``strategy-assistant eval``: the known-findings questions through the real service, or
(``--calibrate``) a sweep of the abstain threshold. ``--set heldout`` runs the held-out set
(eval/heldout/: its own corpus, report files and report-only thresholds)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from eval.commands.common import err, load_settings, out_console


def eval_service(settings, live: bool, corpus: Path | None = None, set_name: str | None = None):
    """The service to evaluate: by default a private index of ``corpus`` (default
    ``corpus_dir``; so uploads to the working index do not move the numbers), one per corpus
    folder, rebuilt when the ingest code changes."""
    from assistant.application.service import AssistantService
    from eval.bench.common import StageProgress
    from eval.bench.index_cache import ingest_code_fingerprint
    from eval.question_sets import index_folder_name, stale_pattern

    if live:
        with err.status("Loading the embedding model and index…"):
            service = AssistantService(settings)
        if service.store.registry.counts()[0] == 0:
            err.print("[red]The index is empty.[/red] Run `strategy-assistant ingest` first.")
            raise typer.Exit(1)
        return service
    corpus = Path(corpus or settings.corpus_dir)
    if not corpus.is_dir():
        err.print(f"[red]No corpus folder at {corpus}.[/red]")
        raise typer.Exit(2)
    root = settings.data_dir / "eval"
    name = index_folder_name(corpus, ingest_code_fingerprint(), set_name)
    folder = root / name
    if root.exists():
        for stale in root.glob(stale_pattern(name)):
            if stale != folder:
                shutil.rmtree(stale, ignore_errors=True)
    eval_settings = settings.model_copy(update={"data_dir": folder, "corpus_dir": corpus})
    with err.status("Loading the embedding model…"):
        service = AssistantService(eval_settings)
    progress = StageProgress(f"Indexing {_shown(corpus)}/ for the evaluation")
    try:
        report = service.ingest_folder(corpus, progress)
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
    question_set: Annotated[
        str,
        typer.Option(
            "--set",
            help="seed: eval/questions.yaml over corpus/ (gated). heldout: eval/heldout/ "
            "questions over its own 9-document corpus, own report files, report-only "
            "thresholds; never used for tuning. blind: eval/blind/ (6 documents), the same, "
            "written after the answering changes of 2026-12-01 and never run before them. "
            "dev: eval/dev/ (8 documents), report-only thresholds, a development set that "
            "may be tuned on.",
        ),
    ] = "seed",
    questions: Annotated[
        Path | None, typer.Option(help="Question file (default: the set's).")
    ] = None,
    corpus: Annotated[
        Path | None,
        typer.Option(help="Corpus folder to index (default: the set's, else the configured one)."),
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
    from eval.question_sets import UnknownSetError, get_set
    from eval.questions import QuestionFileError, load_questions, select

    settings = load_settings()
    try:
        qset = get_set(question_set)
        all_questions = load_questions(questions or qset.questions)
        chosen = select(all_questions, subset)
    except (QuestionFileError, UnknownSetError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if calibrate and not qset.gate:
        why = "is report-only" if qset.name == "dev" else "is never used for tuning"
        err.print(f"[red]The {qset.name} set {why}:[/red] calibrate on seed.")
        raise typer.Exit(2)
    if live and (corpus or qset.corpus):
        err.print("[red]--live evaluates the configured index; it takes no corpus.[/red]")
        raise typer.Exit(2)
    service = eval_service(settings, live, corpus or qset.corpus, qset.name)
    run = {"set": qset, "custom": questions is not None or corpus is not None}
    run["corpus"] = corpus or qset.corpus or settings.corpus_dir
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
                run,
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
    run=None,
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
    # thresholds are kept per subset name ('full', 'quick') for the seed set and one section
    # per other set ('heldout', report-only); a custom question file or corpus is only
    # checked against a thresholds file given with it
    from eval.question_sets import get_set

    run = run or {"set": get_set("seed"), "custom": questions is not None}
    qset, custom = run["set"], run["custom"]
    gate, report_only = qset.gate, False
    table = load_thresholds(thresholds_path)
    wanted = qset.section_for(subset)
    section_name = wanted if wanted in table and (thresholds_path or not custom) else None
    section = table.get(section_name) if section_name else None
    if section is not None and section.get("report_only"):
        gate, report_only = False, True
    breaches = check_thresholds(summary, section) if section is not None else []
    if section is None and check and qset.gate:
        err.print(
            f"[yellow]No thresholds for subset {subset!r}[/yellow] (eval/thresholds.yaml has "
            "'full' and 'quick' for the default question file)."
        )
    set_name = "custom" if custom else qset.name
    meta = {
        "question_set": set_name,
        "subset": subset,
        "questions_file": str(questions or _shown(qset.questions)),
        "corpus": "live index" if live else str(run.get("corpus") or settings.corpus_dir),
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
        "thresholds_report_only": report_only,
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
            sub="Known-findings questions (seed corpus)"
            if set_name == "seed"
            else f"Known-findings questions ({set_name} set, report only)",
        )
        err.print("docs/BENCHMARKS.md: known-findings table updated")
    if breaches:
        err.print(
            f"[red]{len(breaches)} threshold(s) broken[/red] ({section_name}"
            + (", report only: no gate" if not gate else "")
            + "):"
        )
        for breach in breaches:
            err.print(f"  - {breach}")
        return 1 if check and gate else 0
    if section is not None:
        err.print(f"[green]All {section_name} thresholds met.[/green]")
    return 0


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it is under it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


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
