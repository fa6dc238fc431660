"""Made-up daily returns stamped with business days, for the risk gate's tests."""

from __future__ import annotations

import numpy as np

from tradepit.risk import DailyReturns

END = np.datetime64("2024-02-29")


def dated(values: np.ndarray, end: np.datetime64 | str = END) -> DailyReturns:
    """`values` as the returns of the consecutive business days ending at `end`."""
    last = np.datetime64(end, "D")
    days = np.busday_offset(last, np.arange(-len(values) + 1, 1), roll="backward")
    return DailyReturns(days=days, values=np.asarray(values, dtype=np.float64))
