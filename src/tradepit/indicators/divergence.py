"""RSI divergence detector, hand-written (neither TA-Lib nor pandas-ta-classic has one);
the scan is numba-compiled.

Pivots are found on price (`close`) and RSI is read at the same bars:

- a pivot low at bar i: close[i] is below every close in the `pivot` bars before it and at or
  below every close in the `pivot` bars after it (so a flat bottom gives one pivot, its first
  bar); a pivot high mirrors this;
- regular bullish divergence (+1): a pivot low with a lower close than the previous pivot low
  but a higher RSI, the two pivots at most `lookback` bars apart;
- regular bearish divergence (-1): a pivot high with a higher close than the previous pivot
  high but a lower RSI, at most `lookback` bars apart.

No look-ahead: a pivot at bar i is known only at bar i + pivot, so the signal is placed on
that confirmation bar and depends on nothing after it. The output is NaN until the first bar
at which a pivot with an RSI value could be confirmed, then 0.0 where there is no signal.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

from tradepit.indicators._validate import as_f64_many, check_int
from tradepit.indicators.moving_averages import ArrayLike


def rsi_divergence(
    close: ArrayLike, rsi_values: ArrayLike, pivot: int = 5, lookback: int = 60
) -> np.ndarray:
    """+1.0 on bars confirming a regular bullish divergence, -1.0 bearish, 0.0 none."""
    pivot = check_int("pivot", pivot, 1, 1000)
    lookback = check_int("lookback", lookback, 2, 10_000)
    c, r = as_f64_many(close=close, rsi_values=rsi_values)
    return _divergence_scan(c, r, pivot, lookback)


_IN = types.Array(types.float64, 1, "C", readonly=True)


@njit(types.float64[::1](_IN, _IN, types.int64, types.int64), cache=True, nogil=True)
def _divergence_scan(close, rsi, pivot, lookback):  # pragma: no cover - numba
    n = close.size
    out = np.full(n, np.nan)
    first_rsi = 0
    while first_rsi < n and np.isnan(rsi[first_rsi]):
        first_rsi += 1
    first_pivot = max(pivot, first_rsi)
    out[min(first_pivot + pivot, n) :] = 0.0
    last_low = -1
    last_high = -1
    for i in range(first_pivot, n - pivot):
        value = close[i]
        is_low = not np.isnan(value)
        is_high = is_low
        for j in range(i - pivot, i + pivot + 1):
            if j < i:
                is_low = is_low and value < close[j]
                is_high = is_high and value > close[j]
            elif j > i:
                is_low = is_low and value <= close[j]
                is_high = is_high and value >= close[j]
        if is_low:
            near = last_low >= 0 and i - last_low <= lookback
            if near and value < close[last_low] and rsi[i] > rsi[last_low]:
                out[i + pivot] = 1.0
            last_low = i
        elif is_high:
            near = last_high >= 0 and i - last_high <= lookback
            if near and value > close[last_high] and rsi[i] < rsi[last_high]:
                out[i + pivot] = -1.0
            last_high = i
    return out
