"""Columns of a bar frame as float64 arrays, cheaply.

Selecting a column builds a Series (tens of microseconds each in pandas 3); the agent reads
four or five columns of a few frames on every decision. A frame whose columns are all
float64 (the feed's bar frames) holds them in one block, and `DataFrame.to_numpy` returns a
view of it, from which each column is a contiguous row: no copy, one call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OHLC = ("open", "high", "low", "close")


def float_columns(bars: pd.DataFrame, names: tuple[str, ...] = OHLC) -> tuple[np.ndarray, ...]:
    """The columns `names` of `bars` as float64 arrays (views when the frame allows it).
    KeyError for a missing column, as with ``bars[name]``."""
    values = bars.to_numpy()
    if values.dtype != np.float64:  # mixed columns: convert one by one
        return tuple(bars[name].to_numpy(np.float64) for name in names)
    where = {name: i for i, name in enumerate(bars.columns)}
    return tuple(values[:, where[name]] for name in names)
