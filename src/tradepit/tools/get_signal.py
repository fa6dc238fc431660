"""get_signal: a built-in strategy's target for the latest completed bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from tradepit.domain.errors import NoDataError
from tradepit.tools._common import (
    ZERO,
    effective_positions,
    iso,
    num,
    recent_bars,
    resolve_symbol,
    timeframe_of,
)
from tradepit.tools._strategy import resolve_strategy
from tradepit.tools.base import Tool, ToolInput, ToolOutput
from tradepit.tools.get_indicators import WARMUP_BARS

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class GetSignalInput(ToolInput):
    symbol: str
    strategy: str = "supertrend"
    timeframe: str = "1Day"


class GetSignalOutput(ToolOutput):
    symbol: str
    strategy: str
    as_of: str = Field(description="Open time of the bar the signal is for")
    close: float
    target: float = Field(description="Wanted position, fraction of equity, -1..1")
    previous_target: float
    stop: float | None = None
    confidence: float
    position_qty: float = Field(description="Held qty incl. pending orders")
    params_source: str


def get_signal(deps: AgentDeps, args: GetSignalInput) -> GetSignalOutput:
    """A built-in strategy's signal on the latest completed bar: target position (-1 short
    .. 1 long), stop, and the current position."""
    symbol = resolve_symbol(deps, args.symbol)
    name, _ = timeframe_of(args.timeframe)
    strategy, params, source = resolve_strategy(deps, args.strategy, symbol)
    bars = recent_bars(deps, symbol, name, WARMUP_BARS)
    if len(bars) < 2:
        raise NoDataError(f"too few completed {name} bars of {symbol} for a signal")
    target, stop, confidence = strategy.signal_arrays(bars, params)
    held = sum((p.qty for p in effective_positions(deps) if p.symbol == symbol), ZERO)
    return GetSignalOutput(
        symbol=symbol,
        strategy=strategy.name,
        as_of=iso(bars.index[-1]),
        close=num(bars["close"].to_numpy()[-1]),
        target=num(target[-1], 4),
        previous_target=num(target[-2], 4),
        stop=num(stop[-1]),
        confidence=num(confidence[-1], 3),
        position_qty=num(held, 10),
        params_source=source,
    )


TOOL = Tool("get_signal", GetSignalInput, GetSignalOutput, get_signal)
