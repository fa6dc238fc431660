"""Shared by the CLI modules: one-line errors, the process's settings, common options."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from tradepit.config import Settings
from tradepit.domain.errors import TradepitError

err = Console(stderr=True)
Cash = Annotated[float, typer.Option(help="Starting cash (above 0).")]
MetricsPort = Annotated[
    int | None,
    typer.Option(
        help="Serve Prometheus /metrics and /healthz on this port (127.0.0.1 unless "
        "TRADEPIT_METRICS_HOST; 0: any free port). Default: TRADEPIT_METRICS_PORT, else off.",
        min=0, max=65535,
    ),
]  # fmt: skip


def check_cash(cash: float) -> float:
    """`--cash`, refused by name when not above 0 (ValueError: one line, exit 2)."""
    if not cash > 0:
        raise ValueError(f"--cash must be above 0, not {cash:g}")
    return cash


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn expected errors into one red line and exit code 1 (2 for usage errors)."""
    try:
        yield
    except TradepitError as e:
        err.print(f"[bold red]error:[/] {e}")
        raise typer.Exit(1) from None
    except ValidationError as e:  # a ValueError too: one line, without pydantic's links
        err.print(f"[bold red]error:[/] {validation_message(e)}")
        raise typer.Exit(2) from None
    except ValueError as e:
        err.print(f"[bold red]error:[/] {e}")
        raise typer.Exit(2) from None
    except OSError as e:  # a report or data path that cannot be written or read
        err.print(f"[bold red]error:[/] {e.strerror or e}: {e.filename}")
        raise typer.Exit(1) from None


def validation_message(error: ValidationError) -> str:
    """`error` as one line: ``field: message; ...`` (no input dump, no documentation URL)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def start_logging(ctx: typer.Context) -> None:
    """Configure logging for the command about to run (`tradepit.ops.logs`); undone when
    it ends. Settings that do not validate configure nothing: the command reports them."""
    from tradepit.config import AlpacaSettings
    from tradepit.integrations.redact import Redactor, secret_values
    from tradepit.ops.logs import configure_logging

    try:
        settings = Settings()
        redactor = Redactor(secret_values(settings, AlpacaSettings()).values())
    except ValidationError:
        return
    setup = configure_logging(settings, ctx.invoked_subcommand, redactor)
    ctx.call_on_close(setup.close)


def cli_settings() -> Settings:
    """Settings from the environment, with third-party process settings applied."""
    settings = Settings()
    settings.apply_process_environment()
    return settings
