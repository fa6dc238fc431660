"""Weighted ensemble of the built-in strategies."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from tradepit.strategies.base import Strategy, StrategyParams
from tradepit.strategies.oscillators import EmaRsi, MacdRsi
from tradepit.strategies.trend import MacdCross, Supertrend

_MEMBERS: dict[str, Strategy] = {
    "supertrend": Supertrend(),
    "macd_rsi": MacdRsi(),
    "ema_rsi": EmaRsi(),
    "macd_cross": MacdCross(),
}


class EnsembleParams(StrategyParams):
    w_supertrend: float = Field(1.0, ge=0.0, le=1.0)
    w_macd_rsi: float = Field(1.0, ge=0.0, le=1.0)
    w_ema_rsi: float = Field(1.0, ge=0.0, le=1.0)
    w_macd_cross: float = Field(1.0, ge=0.0, le=1.0)
    threshold: float = Field(0.5, ge=0.1, le=0.9)


class Ensemble(Strategy):
    """Weighted vote of member targets (default parameters each). Long when the weighted
    score is above +threshold, short below -threshold, flat in between."""

    name = "ensemble"
    description = "Weighted vote of supertrend, macd_rsi, ema_rsi, macd_cross (act at ±0.5)"
    Params = EnsembleParams

    def compute(self, bars: pd.DataFrame, params: EnsembleParams):
        weights = {name: getattr(params, f"w_{name}") for name in _MEMBERS}
        total = sum(weights.values())
        n = len(bars)
        if total <= 0:
            return np.zeros(n), np.full(n, np.nan), np.zeros(n)
        score = np.zeros(n)
        for name, member in _MEMBERS.items():
            if weights[name] > 0:
                score += weights[name] * member.signal_arrays(bars).target
        score /= total
        target = np.where(score > params.threshold, 1.0, 0.0)
        target = np.where(score < -params.threshold, -1.0, target)
        return target, np.full(n, np.nan), np.abs(score)
