"""get_bars: a compact summary of recent bars (never a raw dump)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from tradepit.domain.errors import NoDataError
from tradepit.market.timeframe import annualisation_factor
from tradepit.tools._common import iso, num, pct, recent_bars, resolve_symbol, timeframe_of
from tradepit.tools.base import Tool, ToolInput, ToolOutput

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps

MAX_CLOSES = 30


class GetBarsInput(ToolInput):
    symbol: str
    timeframe: str = "1Day"
    lookback: int = Field(20, ge=2, le=250, description="Bars summarised")
    closes: int = Field(10, ge=0, le=MAX_CLOSES, description="Closes listed")


class GetBarsOutput(ToolOutput):
    symbol: str
    timeframe: str
    bars: int
    start: str
    end: str = Field(description="Open time of the last completed bar")
    last_close: float
    closes: list[float]
    return_pct: float | None
    high: float
    low: float
    volatility_pct: float | None = Field(None, description="Annualised")
    avg_volume: float | None = None


def get_bars(deps: AgentDeps, args: GetBarsInput) -> GetBarsOutput:
    """Summary of recent completed bars: last closes, return, high/low, volatility."""
    symbol = resolve_symbol(deps, args.symbol)
    name, _ = timeframe_of(args.timeframe)
    frame = recent_bars(deps, symbol, name, args.lookback)
    if frame.empty:
        raise NoDataError(f"no completed {name} bars of {symbol} yet")
    close = frame["close"].to_numpy(np.float64)
    returns = np.diff(close) / close[:-1]
    calendar = deps.market.get_asset(symbol).calendar
    vol = (
        returns.std(ddof=1) * np.sqrt(annualisation_factor(calendar, name))
        if len(returns) > 1
        else None
    )
    shown = close[-args.closes :] if args.closes else close[:0]
    return GetBarsOutput(
        symbol=symbol,
        timeframe=name,
        bars=len(frame),
        start=iso(frame.index[0]),
        end=iso(frame.index[-1]),
        last_close=num(close[-1]),
        closes=[num(x) for x in shown],
        return_pct=pct(close[-1] / close[0] - 1),
        high=num(frame["high"].max()),
        low=num(frame["low"].min()),
        volatility_pct=pct(vol),
        avg_volume=num(frame["volume"].mean(), 4),
    )


TOOL = Tool("get_bars", GetBarsInput, GetBarsOutput, get_bars)
