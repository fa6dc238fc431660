"""Volatility indicators: ATR (Wilder) and Bollinger Bands, thin wrappers over TA-Lib.

Bollinger Bands use the population standard deviation (ddof=0), as TA-Lib does.
"""

from __future__ import annotations

import numpy as np
import talib

from tradepit.indicators._validate import as_f64, as_f64_many, check_float, check_int
from tradepit.indicators.moving_averages import ArrayLike


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, length: int = 14) -> np.ndarray:
    """Average true range, Wilder smoothing seeded with the mean of the first `length` true
    ranges; NaN for the first `length` bars."""
    length = check_int("length", length, 1)
    h, lo, c = as_f64_many(high=high, low=low, close=close)
    return talib.ATR(h, lo, c, timeperiod=length)


def bbands(
    close: ArrayLike, length: int = 20, std: float = 2.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bollinger Bands: (upper, middle, lower) = SMA ± std * population stdev."""
    length = check_int("length", length, 2)
    std = check_float("std", std, 0.01, 100.0)
    upper, middle, lower = talib.BBANDS(
        as_f64(close, "close"), timeperiod=length, nbdevup=std, nbdevdn=std, matype=0
    )
    return upper, middle, lower
