"""Oscillator strategies: MACD+RSI, RSI divergence, EMA+RSI."""

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
from tradepit.strategies.trend import MacdCrossParams


class MacdRsiParams(MacdCrossParams):
    rsi_length: int = Field(14, ge=2, le=50)
    overbought: float = Field(70.0, ge=50.0, le=95.0)
    oversold: float = Field(30.0, ge=5.0, le=50.0)
    stop_pct: float = Field(0.02, ge=0.005, le=0.2)


class MacdRsi(Strategy):
    """MACD histogram crosses zero: up -> long unless RSI >= overbought; down -> short
    (or exit) unless RSI <= oversold. Entries carry a fixed-percentage stop."""

    name = "macd_rsi"
    description = "MACD histogram zero-cross filtered by RSI, 2% stop"
    Params = MacdRsiParams

    def compute(self, bars: pd.DataFrame, params: MacdRsiParams):
        close = bars["close"].to_numpy(np.float64)
        _, _, hist = indicators.macd(close, params.fast, params.slow, params.signal)
        rsi = indicators.rsi(close, params.rsi_length)
        zero = np.zeros_like(hist)
        up = crossed_above(hist, zero) & (rsi < params.overbought)
        down = crossed_below(hist, zero) & (rsi > params.oversold)
        events = np.full(close.shape, np.nan)
        events[up] = 1.0
        events[down] = -1.0 if params.allow_short else 0.0
        target = hold_from_events(events)
        stop = np.where(
            target > 0,
            close * (1 - params.stop_pct),
            np.where(target < 0, close * (1 + params.stop_pct), np.nan),
        )
        return target, stop, np.abs(target)


class RsiDivergenceParams(StrategyParams):
    rsi_length: int = Field(14, ge=2, le=50)
    pivot: int = Field(5, ge=2, le=20)
    lookback: int = Field(60, ge=10, le=250)
    hold_bars: int = Field(20, ge=1, le=250)
    atr_stop: float = Field(2.0, ge=0.5, le=6.0)
    allow_short: bool = True

    @model_validator(mode="after")
    def _lookback_above_pivot(self) -> RsiDivergenceParams:
        # Two pivot lows (highs) of a divergence are more than `pivot` bars apart: a pivot is
        # the extreme of the `pivot` bars on each side, so a lower low within them is none.
        if self.lookback <= self.pivot:
            raise ValueError("lookback must be longer than pivot (pivots are > pivot bars apart)")
        return self


class RsiDivergence(Strategy):
    """Trade regular RSI divergences: bullish -> long, bearish -> short (or flat); hold for
    at most ``hold_bars`` or until the opposite divergence. Stop at ``atr_stop`` ATRs."""

    name = "rsi_divergence"
    description = "Regular RSI divergence reversals, ATR stop, time exit"
    Params = RsiDivergenceParams

    def compute(self, bars: pd.DataFrame, params: RsiDivergenceParams):
        _, high, low, close = ohlc(bars)
        rsi = indicators.rsi(close, params.rsi_length)
        div = indicators.rsi_divergence(close, rsi, params.pivot, params.lookback)
        target = _hold_for(div, params.hold_bars, params.allow_short)
        atr = indicators.atr(high, low, close, 14)
        stop = np.where(
            target > 0,
            close - params.atr_stop * atr,
            np.where(target < 0, close + params.atr_stop * atr, np.nan),
        )
        return target, stop, np.abs(target)


def _hold_for(events: np.ndarray, hold_bars: int, allow_short: bool) -> np.ndarray:
    """Hold each signal for `hold_bars` bars unless the opposite signal comes first."""
    target = np.zeros(events.shape)
    state, age = 0.0, 0
    for i, event in enumerate(events):
        if event > 0 or (event < 0 and allow_short):
            state, age = float(np.sign(event)), 0
        elif event < 0:
            state, age = 0.0, 0
        elif state != 0.0:
            age += 1
            if age >= hold_bars:
                state = 0.0
        target[i] = state
    return target


class EmaRsiParams(StrategyParams):
    fast: int = Field(20, ge=2, le=100)
    slow: int = Field(50, ge=5, le=300)
    rsi_length: int = Field(14, ge=2, le=50)
    allow_short: bool = True

    @model_validator(mode="after")
    def _fast_below_slow(self) -> EmaRsiParams:
        if self.fast >= self.slow:
            raise ValueError("fast must be shorter than slow")
        return self


class EmaRsi(Strategy):
    """LONG when the fast EMA is above the slow one and RSI is between 50 and 70; SHORT in
    the mirror case; FLAT otherwise. Confidence grows with RSI's distance from 50."""

    name = "ema_rsi"
    description = "EMA trend + RSI momentum band: LONG/SHORT/FLAT with confidence"
    Params = EmaRsiParams

    def compute(self, bars: pd.DataFrame, params: EmaRsiParams):
        close = bars["close"].to_numpy(np.float64)
        fast, slow = indicators.ema(close, params.fast), indicators.ema(close, params.slow)
        rsi = indicators.rsi(close, params.rsi_length)
        with np.errstate(invalid="ignore"):
            long = (fast > slow) & (rsi > 50) & (rsi < 70)
            short = (fast < slow) & (rsi < 50) & (rsi > 30) & params.allow_short
        target = np.where(long, 1.0, np.where(short, -1.0, 0.0))
        confidence = np.where(target != 0, np.abs(rsi - 50.0) / 20.0, 0.0)
        return target, np.full(close.shape, np.nan), confidence
