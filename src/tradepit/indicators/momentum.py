"""Momentum and trend-strength indicators: RSI, MACD, Stochastic, ADX.

All four are thin wrappers over TA-Lib (RSI and ADX use Wilder smoothing; Stochastic uses
SMA smoothing for %K and %D).
"""

from __future__ import annotations

import numpy as np
import talib

from tradepit.indicators._validate import as_f64, as_f64_many, check_int
from tradepit.indicators.errors import IndicatorParamError
from tradepit.indicators.moving_averages import ArrayLike


def rsi(close: ArrayLike, length: int = 14) -> np.ndarray:
    """Relative strength index (Wilder), 0..100."""
    length = check_int("length", length, 2)
    return talib.RSI(as_f64(close, "close"), timeperiod=length)


def macd(
    close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MACD line (EMA fast - EMA slow), its signal EMA and the histogram (line - signal)."""
    fast = check_int("fast", fast, 2)
    slow = check_int("slow", slow, 3)
    signal = check_int("signal", signal, 1)
    if fast >= slow:
        raise IndicatorParamError(f"fast ({fast}) must be shorter than slow ({slow})")
    line, sig, hist = talib.MACD(
        as_f64(close, "close"), fastperiod=fast, slowperiod=slow, signalperiod=signal
    )
    return line, sig, hist


def stoch(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, k: int = 14, d: int = 3, smooth_k: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Slow stochastic: raw %K over `k` bars smoothed by an SMA of `smooth_k`, and %D an SMA
    of `d` over the smoothed %K."""
    k = check_int("k", k, 1)
    d = check_int("d", d, 1)
    smooth_k = check_int("smooth_k", smooth_k, 1)
    h, lo, c = as_f64_many(high=high, low=low, close=close)
    slow_k, slow_d = talib.STOCH(
        h, lo, c, fastk_period=k, slowk_period=smooth_k, slowk_matype=0,
        slowd_period=d, slowd_matype=0,
    )  # fmt: skip
    return slow_k, slow_d


def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, length: int = 14) -> np.ndarray:
    """Average directional index (Wilder), 0..100; needs about 2*length bars of warm-up."""
    length = check_int("length", length, 2)
    h, lo, c = as_f64_many(high=high, low=low, close=close)
    return talib.ADX(h, lo, c, timeperiod=length)
