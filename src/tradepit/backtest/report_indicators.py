"""The indicators behind each built-in strategy's signals, for charts.

`indicator_panels` returns the lines to draw over the price (``overlays``) and the lower
panels (each a name and its lines), computed with the strategy's own parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tradepit import indicators
from tradepit.strategies import StrategyParams

Lines = dict[str, np.ndarray]


@dataclass
class Panels:
    overlays: Lines = field(default_factory=dict)
    lower: list[tuple[str, Lines]] = field(default_factory=list)


def _close(bars: pd.DataFrame) -> np.ndarray:
    return bars["close"].to_numpy(np.float64)


def _macd(bars, p) -> tuple[str, Lines]:
    line, signal, hist = indicators.macd(_close(bars), p.fast, p.slow, p.signal)
    return f"MACD({p.fast},{p.slow},{p.signal})", {"MACD": line, "signal": signal, "hist": hist}


def _rsi(bars, length: int) -> tuple[str, Lines]:
    return f"RSI({length})", {f"RSI {length}": indicators.rsi(_close(bars), length)}


def indicator_panels(strategy: str, bars: pd.DataFrame, params: StrategyParams) -> Panels:
    """Lines for `strategy` (by name) on `bars`; empty for strategies without indicators."""
    p, close = params, _close(bars)
    panels = Panels()
    if strategy == "sma_cross":
        panels.overlays = {
            f"SMA {p.fast}": indicators.sma(close, p.fast),
            f"SMA {p.slow}": indicators.sma(close, p.slow),
        }
    elif strategy == "ema_rsi":
        panels.overlays = {
            f"EMA {p.fast}": indicators.ema(close, p.fast),
            f"EMA {p.slow}": indicators.ema(close, p.slow),
        }
        panels.lower = [_rsi(bars, p.rsi_length)]
    elif strategy == "supertrend":
        high, low = (bars[c].to_numpy(np.float64) for c in ("high", "low"))
        line, _ = indicators.supertrend(high, low, close, p.length, p.multiplier)
        panels.overlays = {f"Supertrend({p.length}, {p.multiplier:g})": line}
    elif strategy == "macd_cross":
        panels.lower = [_macd(bars, p)]
    elif strategy == "macd_rsi":
        panels.lower = [_macd(bars, p), _rsi(bars, p.rsi_length)]
    elif strategy == "rsi_divergence":
        panels.lower = [_rsi(bars, p.rsi_length)]
    return panels
