"""run_backtest: a built-in strategy backtested on bars up to the clock's now."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import Field

from tradepit.backtest.event import BacktestConfig
from tradepit.backtest.event import run_backtest as event_backtest
from tradepit.domain.errors import NoDataError
from tradepit.tools._common import iso, num, pct, resolve_symbol
from tradepit.tools._strategy import resolve_strategy
from tradepit.tools.base import Tool, ToolInput, ToolOutput
from tradepit.tools.errors import ToolArgumentError

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps

MIN_BARS = 30


class RunBacktestInput(ToolInput):
    strategy: str = Field(description="Strategy name")
    symbol: str
    start: date | None = Field(None, description="Default: 5 years back")
    end: date | None = Field(None, description="Default: now")
    params: dict[str, Any] | None = Field(None, description="Parameter overrides")


class RunBacktestOutput(ToolOutput):
    strategy: str
    symbol: str
    params: dict[str, Any]
    start: str
    end: str
    bars: int
    return_pct: float | None
    cagr_pct: float | None
    sharpe: float | None
    max_drawdown_pct: float | None
    trades: int
    win_rate_pct: float | None
    profit_factor: float | None
    exposure_pct: float | None
    buy_and_hold_pct: float | None
    params_source: str


def _window(deps: AgentDeps, args: RunBacktestInput) -> tuple[pd.Timestamp, pd.Timestamp]:
    now = pd.Timestamp(deps.clock.now())
    end = now if args.end is None else pd.Timestamp(args.end, tz="UTC")
    if end > now:
        raise ToolArgumentError(f"end {args.end} is after now ({now.date()}): no look-ahead")
    start = (
        end - pd.DateOffset(years=5) if args.start is None else pd.Timestamp(args.start, tz="UTC")
    )
    if start >= end:
        raise ToolArgumentError(f"start {start.date()} must be before end {end.date()}")
    return start, end


def run_backtest(deps: AgentDeps, args: RunBacktestInput) -> RunBacktestOutput:
    """Backtest a built-in strategy on daily bars up to now. Returns compact metrics."""
    symbol = resolve_symbol(deps, args.symbol)
    strategy, params, source = resolve_strategy(deps, args.strategy, symbol, args.params)
    start, end = _window(deps, args)
    bars = deps.market.get_bars(
        symbol, "1Day", start=start.to_pydatetime(), end=end.to_pydatetime()
    )
    if len(bars) < MIN_BARS:
        raise NoDataError(f"{len(bars)} bars of {symbol} in {start.date()}..{end.date()}")
    result = event_backtest(
        strategy, bars, symbol, params, BacktestConfig(), deps.market.get_asset(symbol)
    )
    m = result.metrics.to_dict()
    return RunBacktestOutput(
        strategy=strategy.name,
        symbol=symbol,
        params=params.model_dump(),
        start=iso(bars.index[0]),
        end=iso(bars.index[-1]),
        bars=len(bars),
        return_pct=num(m["return_pct"]),
        cagr_pct=num(m["cagr_pct"]),
        sharpe=num(m["sharpe"], 3),
        max_drawdown_pct=num(m["max_drawdown_pct"]),
        trades=m["trades"],
        win_rate_pct=pct(m["win_rate"]),
        profit_factor=num(m["profit_factor"], 3),
        exposure_pct=num(m["exposure_pct"], 3),
        buy_and_hold_pct=num(m["buy_and_hold_return_pct"]),
        params_source=source,
    )


TOOL = Tool("run_backtest", RunBacktestInput, RunBacktestOutput, run_backtest)
