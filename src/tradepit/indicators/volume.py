"""Volume indicators: OBV (thin wrapper over TA-Lib) and VWAP.

TA-Lib has no VWAP. Session-anchored VWAP delegates to pandas-ta-classic (grouping by
`index.to_period(anchor)` on the index's wall-clock time); the unanchored, cumulative form is
two numpy cumulative sums. Typical price is (high + low + close) / 3. A bar whose session
volume so far is zero gives NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from tradepit.indicators._validate import as_f64_many, pandas_ta
from tradepit.indicators.errors import IndicatorInputError, IndicatorParamError
from tradepit.indicators.moving_averages import ArrayLike

VWAP_ANCHORS = ("D", "W", "M", "Q", "Y")


def obv(close: ArrayLike, volume: ArrayLike) -> np.ndarray:
    """On-balance volume, starting at the first bar's volume."""
    c, v = as_f64_many(close=close, volume=volume)
    return talib.OBV(c, v)


def vwap(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    index: pd.DatetimeIndex | None = None,
    anchor: str = "D",
) -> np.ndarray:
    """Volume-weighted average price, restarting each `anchor` period of `index`
    (D, W, M, Q, Y); cumulative from the first bar when `index` is None."""
    h, lo, c, v = as_f64_many(high=high, low=low, close=close, volume=volume)
    if index is None:
        typical = (h + lo + c) / 3.0
        return _ratio(np.cumsum(typical * v), np.cumsum(v))
    if anchor not in VWAP_ANCHORS:
        raise IndicatorParamError(f"anchor must be one of {VWAP_ANCHORS}, got {anchor!r}")
    if not isinstance(index, pd.DatetimeIndex) or index.size != c.size:
        raise IndicatorInputError("index must be a DatetimeIndex as long as the price series")
    if not index.is_monotonic_increasing:
        raise IndicatorInputError("index must be sorted in increasing time order")
    wall = index.tz_localize(None) if index.tz is not None else index
    h_s, lo_s, c_s, v_s = (pd.Series(x, index=wall) for x in (h, lo, c, v))
    out = pandas_ta().vwap(h_s, lo_s, c_s, v_s, anchor=anchor)
    return np.array(out, dtype=np.float64)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.size, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out
