"""A made-up daily series of a coin (every day of the week, ~40,000), written as a CSV for
tests of users' crypto files. Test input only: never shown as market data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_coin_csv(path: Path, days: int, seed: int, start: str = "2021-03-01") -> pd.DatetimeIndex:
    """Write `days` daily bars from `start` to `path`; returns their dates."""
    when = pd.date_range(start, periods=days, freq="D")
    close = 40_000 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.02, len(when))))
    frame = pd.DataFrame({"Date": when, "Open": close, "High": close * 1.01,
                          "Low": close * 0.99, "Close": close, "Volume": 10})  # fmt: skip
    frame.to_csv(path, index=False)
    return when
