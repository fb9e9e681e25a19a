"""Command line: ``strategy-assistant ingest | ask | serve | eval | bench``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from assistant.core.settings import Settings

PLUGIN_GROUP = "strategy_assistant.commands"


class _WithPluginCommands(typer.core.TyperGroup):
    """The app's command group, plus the commands of installed plug-ins (``eval`` and ``bench``
    come from the ``eval`` package this way, see pyproject.toml): every entry point of
    ``PLUGIN_GROUP`` is called with a typer app when the CLI runs, never when this module is
    imported, so the product does not import them. A broken plug-in is a warning on stderr."""

    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        from importlib.metadata import entry_points

        plugins = typer.Typer()
        for entry in entry_points(group=PLUGIN_GROUP):
            try:
                entry.load()(plugins)
            except Exception as exc:  # a plug-in's bug must not take the product CLI down
                err.print(f"[yellow]warning:[/yellow] commands of {entry.value} not loaded: {exc}")
        if plugins.registered_commands or plugins.registered_groups:
            for name, command in typer.main.get_group(plugins).commands.items():
                self.commands.setdefault(name, command)


app = typer.Typer(
    cls=_WithPluginCommands,
    add_completion=False,
    no_args_is_help=True,
    help="Cited answers over local-government strategy documents.",
)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic ValidationError: show which variable is wrong
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _service(settings: Settings):
    from assistant.application.service import AssistantService

    with err.status("Loading the embedding model and index…"):
        return AssistantService(settings)


@app.command()
def ingest(
    path: Annotated[
        Path | None, typer.Argument(help="Folder of documents (default: corpus/).")
    ] = None,
) -> None:
    """Index a folder: new and changed documents are embedded, removed ones deleted."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from assistant.core.errors import IngestError, ManifestError

    settings = _settings()
    folder = path or settings.corpus_dir
    if not folder.is_dir():
        err.print(f"[red]{folder} is not a folder.[/red] Give the folder holding your documents.")
        raise typer.Exit(1)
    service = _service(settings)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} texts"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    task = None

    def report_progress(stage: str, done: int, total: int) -> None:
        nonlocal task
        if task is None:
            progress.start()
            task = progress.add_task(stage.capitalize(), total=total)
        progress.update(task, completed=done, total=total)

    try:
        report = service.ingest_folder(folder, report_progress)
    except (IngestError, ManifestError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        progress.stop()
        err.print(
            "[yellow]Interrupted.[/yellow] Documents committed so far are indexed and the "
            "rest still answer from their previous version; run the same command to finish."
        )
        raise typer.Exit(130) from None
    finally:
        progress.stop()
    for name, reason in report.skipped:
        err.print(f"[yellow]skipped[/yellow] {name}: {reason}")
    _print_identities(service, report.added + report.updated)
    documents, chunks = service.store.registry.counts()
    err.print(
        f"Added {len(report.added)}, updated {len(report.updated)}, unchanged "
        f"{len(report.unchanged)}, removed {len(report.removed)}, skipped {len(report.skipped)}; "
        f"embedded {report.chunks_embedded} passages ({report.texts_embedded} texts) in "
        f"{report.seconds:.1f}s. Index: {documents} documents, {chunks} passages."
    )


def _print_identities(service, doc_ids: list[str]) -> None:
    """What each new or changed document says it is, and where each field came from."""
    wanted = set(doc_ids)
    for summary in service.documents():
        meta = summary.meta
        if meta.doc_id not in wanted:
            continue
        how = meta.extra.get("provenance", {})
        fields = [
            f"{name}={value!r} ({how.get(name, '?')})"
            for name in ("organisation", "place", "date", "kind")
            if (value := getattr(meta, name))
        ]
        err.print(f"{meta.doc_id}: {meta.title!r} ({how.get('title', '?')}); " + ", ".join(fields))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the answer object as JSON.")
    ] = False,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="Only these document ids.")] = None,
    k: Annotated[int | None, typer.Option("-k", min=1, max=50, help="Passages to use.")] = None,
    history: Annotated[
        Path | None,
        typer.Option("--history", help="JSON file of earlier turns: [{role, content}, …]."),
    ] = None,
) -> None:
    """Answer a question from the indexed documents, with numbered citations."""
    from pydantic import TypeAdapter, ValidationError

    from assistant.core.errors import QuestionError
    from assistant.core.filters import SearchFilters
    from assistant.core.models import Turn

    if not question.strip():
        err.print('[red]The question is empty.[/red] Usage: strategy-assistant ask "QUESTION"')
        raise typer.Exit(2)
    turns: list[Turn] = []
    if history is not None:
        try:
            turns = TypeAdapter(list[Turn]).validate_json(history.read_bytes())
        except (OSError, ValidationError) as exc:
            err.print(
                f"[red]--history {history}: expected a JSON list of {{role, content}}:[/red] {exc}"
            )
            raise typer.Exit(2) from exc
    settings = _settings()
    service = _service(settings)
    if service.store.registry.counts()[0] == 0:
        err.print("[yellow]The index is empty.[/yellow] Run `strategy-assistant ingest` first.")
    filters = SearchFilters(doc_ids=doc) if doc else None
    try:
        answer = service.ask(question, turns, filters, k)
    except QuestionError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return
    out.print(answer.answer, highlight=False)
    out.print()
    for citation in answer.citations:
        where = citation.section or "(start)"
        page = f", p. {citation.page}" if citation.page else ""
        out.print(f"[bold][{citation.n}][/bold] {citation.title} — {where}{page}", highlight=False)
        snippet = citation.text if len(citation.text) < 400 else citation.text[:400] + "…"
        out.print(f"    {snippet}", highlight=False, style="dim")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="API server processes over one data folder (more than one: a Chroma server "
            "is started for them and the web UI is served by one process on port + 1).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (and the web UI at /ui)."""
    from assistant.server import serve as run_server

    settings = _settings()
    host = host or settings.host
    port = port if port is not None else settings.port
    workers = workers or settings.workers
    shape = f"{workers} worker processes" if workers > 1 else "one process"
    err.print(f"Serving on http://{host}:{port}  (API docs /docs, web UI /ui; {shape})")
    try:
        run_server(settings, host, port, workers)
    except RuntimeError as exc:  # the Chroma server for the workers did not start
        err.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from exc


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `… | head` closed the pipe: not an error
        sys.stderr.close()
