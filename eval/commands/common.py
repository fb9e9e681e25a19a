"""What the eval and bench commands share: the consoles and loading the settings."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

err = Console(stderr=True, soft_wrap=True)


def out_console() -> Console:
    """stdout; tables keep their columns when piped to a file (rich assumes 80 there)."""
    return Console() if sys.stdout.isatty() else Console(width=140)


def load_settings():
    from assistant.core.settings import Settings

    try:
        return Settings()
    except Exception as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
