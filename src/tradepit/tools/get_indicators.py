"""get_indicators: latest values of technical indicators (point-in-time)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from tradepit.domain.errors import NoDataError
from tradepit.indicators import INDICATORS, IndicatorParamError, UnknownIndicatorError, compute
from tradepit.tools._common import iso, num, recent_bars, resolve_symbol, timeframe_of
from tradepit.tools.base import Tool, ToolInput, ToolOutput

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps

WARMUP_BARS = 1000
"""Bars each indicator is computed over, so EMAs and Wilder averages have converged."""
MAX_INDICATORS = 8
DEFAULT = ("rsi", "macd", "supertrend", "atr")


class GetIndicatorsInput(ToolInput):
    symbol: str
    indicators: list[str] = Field(
        default=list(DEFAULT),
        max_length=MAX_INDICATORS,
        description="e.g. rsi, sma:50, macd:fast=8,slow=21",
    )
    timeframe: str = "1Day"


class GetIndicatorsOutput(ToolOutput):
    symbol: str
    as_of: str = Field(description="Open time of the last completed bar")
    close: float
    values: dict[str, float | None]


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """ "sma:50" -> ("sma", {"length": 50}); "macd:fast=8,slow=21" -> keyword params.
    Positional values fill the indicator's parameters in order."""
    name, _, rest = spec.strip().partition(":")
    name = name.strip().lower()
    indicator = INDICATORS.get(name)
    if indicator is None:
        raise UnknownIndicatorError(name, sorted(INDICATORS))
    params: dict[str, Any] = {}
    for i, part in enumerate(p.strip() for p in rest.split(",") if p.strip()):
        key, eq, value = part.partition("=")
        if not eq:
            if i >= len(indicator.params):
                raise IndicatorParamError(f"{name} takes {len(indicator.params)} parameters")
            key, value = indicator.params[i].name, part
        params[key.strip()] = _number(value.strip())
    return name, params


def _number(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def get_indicators(deps: AgentDeps, args: GetIndicatorsInput) -> GetIndicatorsOutput:
    """Latest indicator values on completed bars. Names: sma ema rsi macd atr bbands kama
    vwap stoch adx obv supertrend rsi_divergence; params after ":"."""
    symbol = resolve_symbol(deps, args.symbol)
    name, _ = timeframe_of(args.timeframe)
    bars = recent_bars(deps, symbol, name, WARMUP_BARS)
    if bars.empty:
        raise NoDataError(f"no completed {name} bars of {symbol} yet")
    values: dict[str, float | None] = {}
    for spec in args.indicators:
        indicator, params = parse_spec(spec)
        frame = compute(indicator, bars, **params)
        values.update({col: num(frame[col].iloc[-1]) for col in frame.columns})
    return GetIndicatorsOutput(
        symbol=symbol, as_of=iso(bars.index[-1]), close=num(bars["close"].iloc[-1]), values=values
    )


TOOL = Tool("get_indicators", GetIndicatorsInput, GetIndicatorsOutput, get_indicators)
