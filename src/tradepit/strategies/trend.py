"""Trend strategies: SMA crossover, Supertrend, MACD crossover, buy-and-hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from tradepit import indicators
from tradepit.strategies.base import (
    Strategy,
    StrategyParams,
    crossed_above,
    crossed_below,
    hold_from_events,
    ohlc,
)


def _events(up: np.ndarray, down: np.ndarray, allow_short: bool) -> np.ndarray:
    events = np.full(up.shape, np.nan)
    events[up] = 1.0
    events[down] = -1.0 if allow_short else 0.0
    return events


class SmaCrossParams(StrategyParams):
    fast: int = Field(10, ge=2, le=100)
    slow: int = Field(30, ge=3, le=300)
    allow_short: bool = True

    @model_validator(mode="after")
    def _fast_below_slow(self) -> SmaCrossParams:
        if self.fast >= self.slow:
            raise ValueError("fast must be shorter than slow")
        return self


class SmaCross(Strategy):
    """Long when the fast SMA crosses above the slow one, short (or flat) when it crosses
    below. Flat until the first crossover."""

    name = "sma_cross"
    description = "SMA crossover: long above, short below (reverses on each cross)"
    Params = SmaCrossParams

    def compute(self, bars: pd.DataFrame, params: SmaCrossParams):
        close = bars["close"].to_numpy(np.float64)
        fast, slow = indicators.sma(close, params.fast), indicators.sma(close, params.slow)
        events = _events(crossed_above(fast, slow), crossed_below(fast, slow), params.allow_short)
        target = hold_from_events(events)
        return target, np.full(close.shape, np.nan), np.abs(target)


class SupertrendParams(StrategyParams):
    length: int = Field(10, ge=3, le=50)
    multiplier: float = Field(3.0, ge=1.0, le=6.0)
    allow_short: bool = True


class Supertrend(Strategy):
    """Enter on a Supertrend direction flip, with the stop at the Supertrend line."""

    name = "supertrend"
    description = "Supertrend(10, 3): follow direction flips, stop at the line"
    Params = SupertrendParams

    def compute(self, bars: pd.DataFrame, params: SupertrendParams):
        _, high, low, close = ohlc(bars)
        line, direction = indicators.supertrend(high, low, close, params.length, params.multiplier)
        prev = np.roll(direction, 1)
        prev[0] = np.nan
        flipped = (direction != prev) & ~np.isnan(prev) & ~np.isnan(direction)
        events = _events(flipped & (direction > 0), flipped & (direction < 0), params.allow_short)
        target = hold_from_events(events)
        return target, np.where(target != 0, line, np.nan), np.abs(target)


class MacdCrossParams(StrategyParams):
    fast: int = Field(12, ge=2, le=50)
    slow: int = Field(26, ge=5, le=100)
    signal: int = Field(9, ge=2, le=30)
    allow_short: bool = True

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MacdCrossParams:
        if self.fast >= self.slow:
            raise ValueError("fast must be shorter than slow")
        return self


class MacdCross(Strategy):
    """Long when the MACD line crosses above its signal line, short (or flat) below."""

    name = "macd_cross"
    description = "MACD(12,26,9) line/signal crossover"
    Params = MacdCrossParams

    def compute(self, bars: pd.DataFrame, params: MacdCrossParams):
        close = bars["close"].to_numpy(np.float64)
        line, signal, _ = indicators.macd(close, params.fast, params.slow, params.signal)
        events = _events(
            crossed_above(line, signal), crossed_below(line, signal), params.allow_short
        )
        target = hold_from_events(events)
        return target, np.full(close.shape, np.nan), np.abs(target)


class BuyAndHoldParams(StrategyParams):
    pass


class BuyAndHold(Strategy):
    """Fully long from the first bar: the benchmark every strategy must beat."""

    name = "buy_and_hold"
    description = "Buy on the first bar and hold"
    Params = BuyAndHoldParams

    def compute(self, bars: pd.DataFrame, params: BuyAndHoldParams):
        n = len(bars)
        return np.ones(n), np.full(n, np.nan), np.ones(n)
