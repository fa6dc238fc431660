"""The latest value of every registered indicator at default parameters, for one symbol.

Point-in-time by construction: the caller passes bars up to the moment of interest, and
every indicator is causal, so the last row only uses bars up to it.
"""

from __future__ import annotations

import math

import pandas as pd

from tradepit.indicators.registry import INDICATORS, compute


def latest_values(bars: pd.DataFrame, names: list[str] | None = None) -> dict[str, float | None]:
    """{output column: value at the last bar} for `names` (all indicators when None);
    None where the indicator is still warming up."""
    values: dict[str, float | None] = {"close": float(bars["close"].iloc[-1])}
    for name in names or list(INDICATORS):
        row = compute(name, bars).iloc[-1]
        for column, value in row.items():
            values[str(column)] = float(value) if math.isfinite(value) else None
    return values
