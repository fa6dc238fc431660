"""tradepit command line (Typer + rich). Errors print one clear line and exit non-zero."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tradepit.cli_common import (
    Calendar,
    Cash,
    Commission,
    CommissionPerShare,
    Fractional,
    SlippageBps,
    TradepitGroup,
    backtest_config,
    cli_errors,
    start_logging,
)
from tradepit.cli_render import metrics_table, series_table, trades_table

app = typer.Typer(
    cls=TradepitGroup,
    help="tradepit: LLM agents that trade. Offline by default.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _configure(ctx: typer.Context) -> None:
    start_logging(ctx)


data_app = typer.Typer(help="Bundled and user market data.", no_args_is_help=True)
app.add_typer(data_app, name="data")

# Wide tables stay readable in logs and pipes (rich assumes 80 columns without a terminal).
out = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True)

DEMO_SYMBOLS = ("SPX", "IXIC", "MSFT")


def _emit_json(payload: Any) -> None:
    """One JSON document on stdout, nothing else (machine-readable output)."""
    sys.stdout.write(json.dumps(payload, default=str) + "\n")


_errors = cli_errors


@contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A transient progress bar on a terminal's stderr; nothing elsewhere (rich prints a
    blank line when it stops on a pipe or file, before any error that follows)."""
    if not enabled or not err.is_interactive:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _timestamp(text: str | None, name: str, day_end: bool = False) -> pd.Timestamp | None:
    """`--<name>` as a UTC time (a naive one is UTC). With `day_end`, a date without a time
    means the end of that day, so an --end date includes all of that day's bars."""
    if text is None:
        return None
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise ValueError(f"--{name} {text!r} is not a date (use YYYY-MM-DD)")
    stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp
    if day_end and _date_only(text, stamp):
        stamp += pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return stamp


def _date_only(text: str, stamp: pd.Timestamp) -> bool:
    """Whether `text` gives a day without a time of day (``2021-03-05``, not ``...T00:00``)."""
    return ":" not in text and stamp == stamp.normalize()


def _load(
    symbol: str | None,
    data: Path | None,
    start: str | None,
    end: str | None,
    end_name: str = "end",
    calendar: str | None = None,
):
    """Bars and asset from a bundled symbol or a user file, clipped to start..end (`end` is
    given as the option `--<end_name>`; a date alone means that whole day). A file's asset
    trades on `calendar`, by default 24/7 when its data has Sunday sessions (crypto), else
    XNYS (`user_asset`)."""
    from tradepit.market.feed import HistoricalSource
    from tradepit.market.loaders import load_ohlcv

    if (symbol is None) == (data is None):
        raise ValueError("give exactly one of --symbol or --data")
    if data is not None:
        from tradepit.market.user_assets import user_asset

        bars = load_ohlcv(data)
        asset = user_asset(data.stem.upper(), bars, calendar)
    else:
        source = HistoricalSource.bundled([symbol.upper()])  # refuses close-only symbols
        (name,) = source.symbols()
        bars, asset = source.frame(name), source.asset(name)
        if calendar is not None and calendar != asset.calendar:
            raise ValueError(
                f"--calendar is for --data files: bundled {name} trades on {asset.calendar}"
            )
    lo, hi = _timestamp(start, "start"), _timestamp(end, end_name, day_end=True)
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"--start {start} is after --{end_name} {end}")
    clipped = bars.loc[lo:hi] if lo is not None or hi is not None else bars
    if len(clipped) < 2:
        found = "no bars" if clipped.empty else "only 1 bar"
        span = (
            f"between {start or 'start'} and {end or 'end'}"
            if lo is not None or hi is not None
            else f"in {data or 'the bundled data'}"
        )
        raise ValueError(f"{found} for {asset.symbol} {span}; at least 2 bars are needed")
    return clipped, asset


@data_app.command("list")
def data_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the bundled real market data series."""
    from tradepit.market.bundled import list_bundled

    series = list_bundled()
    if as_json:
        _emit_json([dataclasses.asdict(s) for s in series])
        return
    out.print(series_table(series))


@data_app.command("show")
def data_show(
    symbol: str,
    tail: Annotated[int, typer.Option(help="How many of the latest bars to show.", min=1)] = 10,
) -> None:
    """Show a bundled series: provenance and its latest bars."""
    from tradepit.cli_render import bars_table
    from tradepit.market.bundled import list_bundled, load_bundled

    with _errors():
        bars = load_bundled(symbol.upper())
        meta = next(s for s in list_bundled() if s.symbol == symbol.upper())
        out.print(series_table([meta]))
        out.print(bars_table(bars.tail(tail), symbol.upper()))


@app.command()
def indicators(
    symbol: str,
    at: Annotated[
        str | None, typer.Option(help="A day (YYYY-MM-DD): values at its close; latest if unset.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Indicator values for SYMBOL as known at the close of --at (no later bar is used).
    --at is a day, not a time: a daily bar is only known once its session has closed."""
    from tradepit.cli_render import indicators_table
    from tradepit.indicators.latest import latest_values

    with _errors():
        if at is not None and not _date_only(at, _timestamp(at, "at")):
            raise ValueError(
                f"--at {at!r} has a time of day; give the day (YYYY-MM-DD): the values are "
                "those known at its close"
            )
        bars, _ = _load(symbol, None, None, at, end_name="at")
        last = bars.index[-1]
        if at is not None and pd.Timestamp(at, tz=last.tz) - last > pd.Timedelta(days=7):
            err.print(f"note: the data of {symbol.upper()} ends on {last.date()}", markup=False)
        values = latest_values(bars)
        if as_json:
            _emit_json({"symbol": symbol.upper(), "at": str(bars.index[-1].date()), **values})
            return
        out.print(indicators_table(symbol.upper(), bars.index[-1], values))


@app.command()
def backtest(
    strategy: Annotated[str, typer.Option(help="Built-in strategy name.")],
    symbol: Annotated[str | None, typer.Option(help="Bundled symbol, e.g. SPX.")] = None,
    data: Annotated[Path | None, typer.Option(help="Your OHLCV file (CSV or parquet).")] = None,
    param: Annotated[list[str] | None, typer.Option(help="Strategy parameter name=value.")] = None,
    start: Annotated[str | None, typer.Option(help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date (YYYY-MM-DD).")] = None,
    cash: Cash = 10_000.0,
    commission: Commission = 0.0,
    commission_per_share: CommissionPerShare = 0.0,
    slippage_bps: SlippageBps = 0.0,
    fractional: Fractional = None,
    calendar: Calendar = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write a self-contained HTML report here.")
    ] = None,
) -> None:
    """Backtest a strategy through the paper broker (event path). Crypto (24/7) data trades
    fractional quantities unless --no-fractional."""
    from tradepit.backtest.event import run_backtest
    from tradepit.strategies import build_params, get_strategy, parse_param_pairs

    with _errors():
        strat = get_strategy(strategy)
        params = build_params(strat, parse_param_pairs(param or []))
        bars, asset = _load(symbol, data, start, end, calendar=calendar)
        config = backtest_config(
            bars, asset, cash=cash, commission=commission,
            commission_per_share=commission_per_share, slippage_bps=slippage_bps,
            fractional=fractional,
        )  # fmt: skip
        with _progress(f"{strat.name} on {asset.symbol}", not as_json) as progress:
            result = run_backtest(strat, bars, asset.symbol, params, config, asset, progress)
        if report is not None:
            from tradepit.backtest.report import backtest_report

            err.print(f"report: {backtest_report(result, bars, report)}", markup=False)
    if as_json:
        _emit_json(result.to_dict())
        return
    out.print(metrics_table([result], title=f"{strat.name} on {asset.symbol}"))
    out.print(trades_table(result.trades[-15:], title="last trades"))


@app.command()
def strategies() -> None:
    """List the built-in strategies and their tunable parameters."""
    from tradepit.cli_render import strategies_table

    out.print(strategies_table())


@app.command()
def demo(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The main offline job: a battle of five built-in models on bundled real data (SPX, IXIC,
    MSFT, the last year of daily bars): live leaderboard, final ranking, HTML report."""
    from tradepit.cli_battle import run_demo

    run_demo(as_json)


def main() -> None:  # pragma: no cover - console entry point
    app()


def _register_commands() -> None:
    """Commands that live in their own modules (broker, agent, tuning, ...)."""
    from tradepit import (
        cli_agent,
        cli_battle,
        cli_broker,
        cli_chat,
        cli_memory,
        cli_notify,
        cli_slack,
        cli_tuning,
    )

    for module in (
        cli_broker,
        cli_agent,
        cli_tuning,
        cli_battle,
        cli_memory,
        cli_notify,
        cli_chat,
        cli_slack,
    ):
        module.register(app)


_register_commands()
