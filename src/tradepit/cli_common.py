"""Shared by the CLI modules: one-line errors and the process's settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from tradepit.config import Settings
from tradepit.domain.errors import TradepitError

err = Console(stderr=True)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn expected errors into one red line and exit code 1 (2 for usage errors)."""
    try:
        yield
    except TradepitError as e:
        err.print(f"[bold red]error:[/] {e}")
        raise typer.Exit(1) from None
    except ValueError as e:
        err.print(f"[bold red]error:[/] {e}")
        raise typer.Exit(2) from None


def cli_settings() -> Settings:
    """Settings from the environment, with third-party process settings applied."""
    settings = Settings()
    settings.apply_process_environment()
    return settings
