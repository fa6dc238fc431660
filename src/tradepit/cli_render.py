"""rich tables for the CLI: kept apart so cli.py stays about commands."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd
from rich.table import Table


def _num(value: float, fmt: str = "{:,.2f}") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "∞" if value == math.inf else "-"
    return fmt.format(value)


def _signed(value: float) -> str:
    colour = "green" if value > 0 else "red" if value < 0 else "white"
    return f"[{colour}]{value:+,.2f}[/]"


def metrics_table(results: Sequence, title: str) -> Table:
    table = Table(title=title, header_style="bold")
    for name in ("symbol", "strategy", "return %", "B&H %", "CAGR %", "Sharpe", "Sortino"):
        table.add_column(name, justify="left" if name in ("symbol", "strategy") else "right")
    for name in ("max DD %", "trades", "win %", "PF", "exposure %"):
        table.add_column(name, justify="right")
    for r in results:
        m = r.metrics
        table.add_row(
            r.symbol,
            r.strategy,
            _signed(m.return_pct),
            _num(m.buy_and_hold_return_pct),
            _num(m.cagr_pct),
            _num(m.sharpe),
            _num(m.sortino),
            _num(m.max_drawdown_pct),
            str(m.trades),
            _num(100 * m.win_rate, "{:.1f}"),
            _num(m.profit_factor),
            _num(m.exposure_pct, "{:.0f}"),
        )
    return table


def trades_table(trades: Iterable, title: str) -> Table:
    table = Table(title=title, header_style="bold")
    for name in ("side", "qty", "entry", "entry price", "exit", "exit price", "pnl"):
        table.add_column(name, justify="right")
    for t in trades:
        table.add_row(
            t.side,
            _num(t.qty, "{:,.4g}"),
            str(t.entry_time.date()),
            _num(t.entry_price),
            str(t.exit_time.date()),
            _num(t.exit_price),
            _signed(t.pnl),
        )
    return table


def series_table(series: Iterable) -> Table:
    table = Table(title="bundled market data (real, offline)", header_style="bold")
    for name in ("symbol", "name", "from", "to", "rows", "kind", "source"):
        table.add_column(name)
    for s in series:
        table.add_row(
            s.symbol,
            s.name,
            str(s.start),
            str(s.end),
            f"{s.rows:,}",
            "close only" if s.close_only else "OHLCV",
            f"{s.source} ({s.licence})",
        )
    return table


def bars_table(bars: pd.DataFrame, symbol: str) -> Table:
    table = Table(title=f"{symbol}: latest bars", header_style="bold")
    table.add_column("date")
    for name in bars.columns:
        table.add_column(name, justify="right")
    for ts, row in bars.iterrows():
        table.add_row(str(ts.date()), *(_num(float(v)) for v in row))
    return table


def indicators_table(symbol: str, at: pd.Timestamp, values: dict[str, float]) -> Table:
    table = Table(title=f"{symbol} indicators at the close of {at.date()}", header_style="bold")
    table.add_column("indicator")
    table.add_column("value", justify="right")
    for name, value in values.items():
        table.add_row(name, _num(value, "{:,.4f}"))
    return table


def strategies_table() -> Table:
    from tradepit.strategies import STRATEGIES, param_space

    table = Table(title="built-in strategies", header_style="bold")
    for name in ("name", "description", "parameters (default, range)"):
        table.add_column(name)
    for strat in STRATEGIES.values():
        params = ", ".join(
            f"{p.name}={p.default} [{p.low:g}..{p.high:g}]" for p in param_space(strat.Params)
        )
        table.add_row(strat.name, strat.description, params or "-")
    return table
