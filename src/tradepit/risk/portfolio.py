"""Portfolio risk on dated daily returns (numpy): historical VaR / ES, correlation.

Every symbol's history is a `DailyReturns`: simple daily returns stamped with their day.
Histories are paired **by date** (inner join on the days), never by position: two series
that end on different days (a symbol whose data stops earlier) are compared on the days
both have. Helpers take the most recent `window` common days on which every value is finite.
VaR and ES are reported as positive losses in the units of the P&L given (money in,
money out); a negative VaR means even the tail day was a gain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

FloatArray = np.ndarray


@dataclass(frozen=True, slots=True)
class DailyReturns:
    """Simple daily returns of one symbol: `values[i]` is the return of day `days[i]`
    (numpy datetime64[D], strictly increasing). Non-finite values are dropped when used."""

    days: np.ndarray
    values: FloatArray

    def __post_init__(self) -> None:
        if self.days.shape != self.values.shape or self.days.ndim != 1:
            raise ValueError(f"{len(self.days)} days for {len(self.values)} returns")
        if len(self.days) > 1 and not (self.days[1:] > self.days[:-1]).all():
            raise ValueError("return days must be strictly increasing")

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True, slots=True)
class AlignedReturns:
    """Returns of several symbols on their common days: `matrix[k]` is symbol k's row."""

    days: np.ndarray
    matrix: FloatArray

    @property
    def count(self) -> int:
        """Number of common days."""
        return len(self.days)

    @property
    def last_day(self) -> np.datetime64 | None:
        return self.days[-1] if len(self.days) else None


def common_days(histories: Sequence[DailyReturns]) -> np.ndarray:
    """The days every history has, sorted (binary search: cheap enough for every order)."""
    days = histories[0].days
    for other in histories[1:]:
        if len(other.days) == 0:
            return other.days
        if not np.array_equal(days, other.days):
            at = np.searchsorted(other.days, days).clip(max=len(other.days) - 1)
            days = days[other.days[at] == days]
    return days


def aligned_returns(
    returns: Mapping[str, DailyReturns], symbols: Sequence[str], window: int
) -> AlignedReturns | None:
    """The last <= `window` days common to every symbol on which all returns are finite;
    None when a symbol has no history at all."""
    histories = []
    for symbol in symbols:
        history = returns.get(symbol)
        if history is None:
            return None
        histories.append(history)
    if not histories:
        return None
    days = common_days(histories)
    matrix = np.empty((len(histories), len(days)), dtype=np.float64)
    for row, h in zip(matrix, histories, strict=True):
        same = len(h.days) == len(days)  # common days are a subset: same length = same days
        row[:] = h.values if same else h.values[np.searchsorted(h.days, days)]
    finite = np.isfinite(matrix).all(axis=0)
    if not finite.all():
        days, matrix = days[finite], matrix[:, finite]
    return AlignedReturns(days=days[-window:], matrix=matrix[:, -window:])


def pearson(x: FloatArray, y: FloatArray, min_periods: int = 2) -> float | None:
    """Pearson correlation of two paired, finite series; None with fewer than
    `min_periods` days or when either series is constant."""
    if len(x) < max(min_periods, 2) or x.min() == x.max() or y.min() == y.max():
        return None
    x, y = x - x.mean(), y - y.mean()  # two dot products: ~10x faster than np.corrcoef
    return float(np.clip(x @ y / np.sqrt((x @ x) * (y @ y)), -1.0, 1.0))


def correlation_matrix(
    returns: Mapping[str, DailyReturns], symbols: Sequence[str], window: int
) -> FloatArray | None:
    """Pearson correlation matrix over the last `window` common days (NaN for constant
    series); None with a symbol missing or fewer than 2 common days."""
    aligned = aligned_returns(returns, symbols, window)
    if aligned is None or aligned.count < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.atleast_2d(np.corrcoef(aligned.matrix))


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
    exposures: Mapping[str, float], returns: Mapping[str, DailyReturns], window: int
) -> FloatArray | None:
    """Daily P&L of fixed signed exposures (money; short < 0) replayed over the last
    `window` common days; None when a symbol has no history."""
    aligned = aligned_returns(returns, list(exposures), window)
    return None if aligned is None else replay(exposures, aligned)


def replay(exposures: Mapping[str, float], aligned: AlignedReturns) -> FloatArray:
    """Daily P&L of `exposures` (in the order of the aligned symbols) on the aligned days."""
    weights = np.fromiter(exposures.values(), dtype=np.float64, count=len(exposures))
    return weights @ aligned.matrix


def _check(pnl: FloatArray, confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if len(pnl) == 0:
        raise ValueError("empty P&L series")
