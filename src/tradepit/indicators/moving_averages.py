"""Moving averages: SMA, EMA and KAMA.

SMA and EMA are thin wrappers over TA-Lib (EMA seeded with the SMA of the first `length`
values). KAMA uses TA-Lib when fast/slow are its fixed 2/30 and pandas-ta-classic's native
code (same definition, agrees to ~1e-11) for other fast/slow; both give NaN for the first
`length` bars.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import talib

from tradepit.indicators._validate import as_f64, check_int, pandas_ta

ArrayLike = npt.ArrayLike | pd.Series


def sma(close: ArrayLike, length: int = 20) -> np.ndarray:
    """Simple moving average of `close` over `length` bars."""
    length = check_int("length", length, 2)
    return talib.SMA(as_f64(close, "close"), timeperiod=length)


def ema(close: ArrayLike, length: int = 20) -> np.ndarray:
    """Exponential moving average, alpha = 2/(length+1), seeded with an SMA."""
    length = check_int("length", length, 2)
    return talib.EMA(as_f64(close, "close"), timeperiod=length)


def kama(close: ArrayLike, length: int = 10, fast: int = 2, slow: int = 30) -> np.ndarray:
    """Kaufman adaptive moving average: efficiency ratio over `length` bars scales the
    smoothing constant between the EMA constants of `fast` and `slow`."""
    length = check_int("length", length, 2)
    fast = check_int("fast", fast, 1)
    slow = check_int("slow", slow, 1)
    c = as_f64(close, "close")
    if (fast, slow) == (2, 30):
        return talib.KAMA(c, timeperiod=length)
    out = pandas_ta().kama(pd.Series(c), length=length, fast=fast, slow=slow, talib=False)
    result = np.full(c.size, np.nan) if out is None else np.array(out, dtype=np.float64)
    result[: min(length, c.size)] = np.nan  # pandas-ta also emits its seed bar; TA-Lib does not
    return result
