"""``strategy-assistant eval`` and ``strategy-assistant bench …``: the entry point the product
CLI calls (``strategy_assistant.commands`` in pyproject.toml); the product never imports eval."""

from __future__ import annotations

import typer

from eval.commands.bench import bench_app
from eval.commands.evaluate import eval_command


def register(app: typer.Typer) -> None:
    """Add ``eval`` and the ``bench`` sub-commands to the main CLI."""
    app.command("eval")(eval_command)
    app.add_typer(bench_app, name="bench")
