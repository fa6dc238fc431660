"""Shared by the CLI modules: one-line errors, the process's settings, common options, and
the Typer group class every tradepit app uses (`TradepitGroup`).

Text from outside (error messages, model answers, tool output, stored values) is printed
through `escape` or with ``markup=False``: rich would take ``[redacted]`` or ``[x]`` in it
for markup and drop it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup, TyperOption

from tradepit.config import Settings
from tradepit.domain.errors import InvalidSettingsError, LiveNotConfirmedError, TradepitError

if TYPE_CHECKING:
    import pandas as pd

    from tradepit.backtest.event import BacktestConfig
    from tradepit.domain.models import Asset

err = Console(stderr=True)
Cash = Annotated[float, typer.Option(help="Starting cash (above 0).")]
Commission = Annotated[
    float, typer.Option(help="Fraction of notional per fill (0.001 = 0.1%), at most 0.1.")
]
CommissionPerShare = Annotated[float, typer.Option(help="Commission per unit traded, per fill.")]
SlippageBps = Annotated[
    float, typer.Option(help="Slippage against the trader per fill, in basis points (<= 1000).")
]
Fractional = Annotated[
    bool | None,
    typer.Option(
        "--fractional/--no-fractional",
        help="Trade fractional quantities; default: when the asset is fractionable (crypto).",
    ),
]
Calendar = Annotated[
    str | None,
    typer.Option(
        help="--data's exchange calendar (XNYS, 24/7); default: 24/7 if it trades on Sundays"
    ),
]
COST_OPTIONS = {
    "cash": "--cash",
    "commission_pct": "--commission",
    "commission_per_share": "--commission-per-share",
    "slippage_bps": "--slippage-bps",
}
"""BacktestConfig's fields by the option that sets them (errors name the option)."""
LIVE_OPTION = "--confirm-live"
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


def backtest_config(
    bars: pd.DataFrame,
    asset: Asset,
    *,
    cash: float,
    commission: float = 0.0,
    commission_per_share: float = 0.0,
    slippage_bps: float = 0.0,
    fractional: bool | None = None,
) -> BacktestConfig:
    """The settings of backtest, optimize and walkforward, validated by BacktestConfig and
    refused by option name (ValueError). Fractional quantities when the asset trades them
    (crypto), unless `fractional` says otherwise; returns are annualised at the bars'
    timeframe. Warns when the cash cannot buy one whole unit (`warn_if_cash_buys_nothing`)."""
    from tradepit.backtest.event import BacktestConfig
    from tradepit.market.timeframe import data_timeframe

    try:
        config = BacktestConfig(
            cash=check_cash(cash),
            commission_pct=commission,
            commission_per_share=commission_per_share,
            slippage_bps=slippage_bps,
            fractional=asset.fractionable if fractional is None else fractional,
            timeframe=data_timeframe({asset.symbol: bars}),
        )
    except ValidationError as e:
        raise ValueError(_options_message(e)) from None
    warn_if_cash_buys_nothing(config, bars, asset.symbol)
    return config


def _options_message(error: ValidationError) -> str:
    """``--commission must be less than or equal to 0.1, not 2; ...``"""
    parts = []
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        option = COST_OPTIONS.get(field, field)
        rule = str(item["msg"]).replace("Input should be", "must be", 1)
        parts.append(f"{option} {rule}, not {item['input']!r}")
    return "; ".join(parts)


def warn_if_cash_buys_nothing(config: BacktestConfig, bars: pd.DataFrame, symbol: str) -> None:
    """A warning line when whole units are traded and the cash cannot buy one at the first
    close, so that a run of 0 trades says why."""
    price = float(bars["close"].iloc[0])
    unit = config.unit_cost(price)
    if not config.fractional and config.cash * config.size < unit:
        err.print(
            f"[yellow]warning:[/] --cash {config.cash:,.2f} buys no whole unit of {escape(symbol)} "
            f"at its first close ({unit:,.2f} with costs): entries are skipped while a unit "
            "costs more than the cash; raise --cash or use --fractional"
        )


def print_error(message: str) -> None:
    """One red ``error:`` line on stderr; `message` is printed as it is (no markup)."""
    err.print("[bold red]error:[/] " + escape(message), highlight=False, soft_wrap=True)


def fail(error: BaseException, *, live_option: bool = False) -> NoReturn:
    """Print `error` as one line and exit: 2 for bad input and settings, else 1.
    `live_option`: the command accepts --confirm-live (said when live was not confirmed)."""
    code = 2 if isinstance(error, InvalidSettingsError | ValueError) else 1
    if isinstance(error, ValidationError):
        message = validation_message(error)
    elif isinstance(error, OSError) and not isinstance(error, TradepitError):
        where = f": {error.filename}" if error.filename else ""
        message = f"{error.strerror or error}{where}"
    else:
        message = str(error)
    if isinstance(error, LiveNotConfirmedError):
        message += (
            f"; run again with {LIVE_OPTION} to confirm it"
            if live_option
            else f"; this command does not trade live (account, positions, orders and run "
            f"accept {LIVE_OPTION}): unset TRADEPIT_ALPACA_LIVE"
        )
    print_error(message)
    raise typer.Exit(code) from None


@contextmanager
def cli_errors(*, live_option: bool = False) -> Iterator[None]:
    """Turn expected errors into one red line and exit code 1 (2 for bad input and
    settings). `live_option`: the command accepts --confirm-live."""
    try:
        yield
    except (TradepitError, ValueError, OSError) as e:  # ValidationError is a ValueError
        fail(e, live_option=live_option)


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
    from tradepit.integrations.redact import settings_redactor
    from tradepit.ops.logs import configure_logging

    try:
        settings = Settings()
        redactor = settings_redactor(settings)
    except InvalidSettingsError:
        return
    setup = configure_logging(settings, ctx.invoked_subcommand, redactor)
    ctx.call_on_close(setup.close)


def cli_settings() -> Settings:
    """Settings from the environment, with third-party process settings applied."""
    settings = Settings()
    settings.apply_process_environment()
    return settings


class TradepitGroup(TyperGroup):
    """The top-level group: bad settings, wherever a command reads them, end as one error
    line and exit code 2; flags show no value type in --help (Typer's rich help marks
    every option, `--help` included, with ``<bool>`` although flags take no value)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        _hide_flag_types(self)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidSettingsError as e:
            fail(e)


def _hide_flag_types(command: Any) -> None:
    """An empty metavar on every flag of `command` and its sub-commands (help included)."""
    help_option = command.get_help_option(typer.Context(command))
    for param in [*command.params, help_option]:
        if isinstance(param, TyperOption) and param.is_flag:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _hide_flag_types(sub)
