"""Aggregate bars to a coarser timeframe (open first, high max, low min, close last, volume sum)."""

from __future__ import annotations

import pandas as pd

from tradepit.market.timeframe import parse_timeframe

AGGREGATION = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
ORIGIN = pd.Timestamp("1970-01-05", tz="UTC")
"""A Monday at 00:00 UTC: weekly bars start on Mondays; intraday and daily bars align to
midnight UTC (hour bars on the hour, as Alpaca labels them)."""


def resample(frame: pd.DataFrame, timeframe: str | pd.Timedelta) -> pd.DataFrame:
    """Bars of `frame` aggregated to `timeframe`, labelled by their open time.

    Periods without any input bar are dropped (never filled). Columns other than OHLCV are
    ignored; a close-only frame gives a close-only result. Raises ValueError when the target
    is finer than the input's bar spacing (that would need invented data).
    """
    delta = parse_timeframe(timeframe)
    columns = {c: how for c, how in AGGREGATION.items() if c in frame.columns}
    if "close" not in columns:
        raise ValueError("resample needs at least a close column")
    if len(frame) > 1:
        spacing = frame.index[1:] - frame.index[:-1]
        if spacing.min() > delta:
            raise ValueError(f"cannot resample bars spaced {spacing.min()} to finer {delta}")
    grouped = frame[list(columns)].resample(delta, origin=ORIGIN, label="left", closed="left")
    out = grouped.agg(columns)
    counts = grouped["close"].count()
    out = out[counts.to_numpy() > 0]
    out.index.name = frame.index.name or "timestamp"
    out.attrs = dict(frame.attrs)
    return out
