"""Portfolio risk on daily return histories (numpy float64): historical VaR / ES, correlation.

Return arrays are simple daily returns, one per symbol, **aligned at their last element**
(the last value of every array is the same, most recent day). Helpers take the most recent
`window` days common to all arrays and drop days where any value is NaN or infinite.
VaR and ES are reported as positive losses in the units of the P&L given (money in,
money out); a negative VaR means even the tail day was a gain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

FloatArray = np.ndarray


def aligned_returns(
    returns: Mapping[str, FloatArray], symbols: Sequence[str], window: int
) -> FloatArray | None:
    """Matrix (len(symbols), n) of the last <= `window` common days; None if a symbol is missing."""
    arrays = []
    for symbol in symbols:
        series = returns.get(symbol)
        if series is None:
            return None
        arrays.append(series)
    if not arrays:
        return None
    n = min(window, *(len(a) for a in arrays))
    if n <= 0:
        return np.empty((len(arrays), 0))
    mat = np.vstack([np.asarray(a[len(a) - n :], dtype=np.float64) for a in arrays])
    return mat[:, np.isfinite(mat).all(axis=0)]


def pearson(a: FloatArray, b: FloatArray, window: int, min_periods: int = 2) -> float | None:
    """Pearson correlation of the last `window` aligned days; None with fewer than
    `min_periods` usable days or when either series is constant."""
    n = min(window, len(a), len(b))
    x = np.asarray(a[len(a) - n :], dtype=np.float64)
    y = np.asarray(b[len(b) - n :], dtype=np.float64)
    usable = np.isfinite(x) & np.isfinite(y)
    if not usable.all():
        x, y = x[usable], y[usable]
    if len(x) < max(min_periods, 2) or x.min() == x.max() or y.min() == y.max():
        return None
    x, y = x - x.mean(), y - y.mean()  # two dot products: ~10x faster than np.corrcoef
    return float(np.clip(x @ y / np.sqrt((x @ x) * (y @ y)), -1.0, 1.0))


def correlation_matrix(
    returns: Mapping[str, FloatArray], symbols: Sequence[str], window: int
) -> FloatArray | None:
    """Pearson correlation matrix over the last `window` aligned days (NaN for constant series)."""
    mat = aligned_returns(returns, symbols, window)
    if mat is None or mat.shape[1] < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.atleast_2d(np.corrcoef(mat))


def historical_var(pnl: FloatArray, confidence: float = 0.95) -> float:
    """Historical VaR: minus the (1 - confidence) quantile of the P&L (numpy linear
    interpolation between order statistics)."""
    _check(pnl, confidence)
    return float(-np.quantile(pnl, 1.0 - confidence))


def expected_shortfall(pnl: FloatArray, confidence: float = 0.95) -> float:
    """Historical ES (CVaR): minus the mean P&L of the days at or below the VaR quantile."""
    _check(pnl, confidence)
    threshold = np.quantile(pnl, 1.0 - confidence)
    return float(-pnl[pnl <= threshold].mean())


def portfolio_pnl(
    exposures: Mapping[str, float], returns: Mapping[str, FloatArray], window: int
) -> FloatArray | None:
    """Daily P&L of fixed signed exposures (money; short < 0) replayed over the last
    `window` aligned days; None when a symbol has no history."""
    symbols = list(exposures)
    mat = aligned_returns(returns, symbols, window)
    if mat is None:
        return None
    weights = np.array([exposures[s] for s in symbols], dtype=np.float64)
    return weights @ mat


def _check(pnl: FloatArray, confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if len(pnl) == 0:
        raise ValueError("empty P&L series")
