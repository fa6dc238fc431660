"""Timeframe strings ("1Min", "1Hour", "1Day", "15m", "1h", ...) and annualisation factors."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

_PATTERN = re.compile(r"^\s*(\d+)\s*([A-Za-z]+)\s*$")

# Unit spellings (lower case) -> (canonical unit name, pandas Timedelta unit).
_UNITS: dict[str, tuple[str, str]] = {
    "s": ("Sec", "s"),
    "sec": ("Sec", "s"),
    "second": ("Sec", "s"),
    "m": ("Min", "min"),
    "min": ("Min", "min"),
    "minute": ("Min", "min"),
    "t": ("Min", "min"),
    "h": ("Hour", "h"),
    "hour": ("Hour", "h"),
    "d": ("Day", "D"),
    "day": ("Day", "D"),
    "w": ("Week", "W"),
    "week": ("Week", "W"),
}

CRYPTO_CALENDAR = "24/7"
TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365
SESSION_HOURS: dict[str, float] = {"XNYS": 6.5, "XNAS": 6.5}
"""Regular session length per exchange calendar, for intraday annualisation."""

DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)


def _unit(raw: str, text: str) -> tuple[str, str]:
    if raw == "M":
        raise ValueError(
            f"ambiguous timeframe {text!r}: write '1Min' for minutes (months unsupported)"
        )
    key = raw.lower()
    if key.endswith("s") and key[:-1] in _UNITS and len(key) > 1:
        key = key[:-1]  # plurals: "mins", "hours", "days"
    if key not in _UNITS:
        known = "Sec, Min, Hour, Day, Week (or s, m, h, d, w)"
        raise ValueError(f"unknown timeframe unit in {text!r}; use a number and one of {known}")
    return _UNITS[key]


@lru_cache(maxsize=256)
def _parse(text: str) -> tuple[pd.Timedelta, str]:
    match = _PATTERN.match(text)
    if match is None:
        raise ValueError(
            f"malformed timeframe {text!r}; expected e.g. '1Min', '15Min', '1Hour', '1Day'"
        )
    count = int(match.group(1))
    if count <= 0:
        raise ValueError(f"timeframe {text!r} must be a positive duration")
    name, unit = _unit(match.group(2), text)
    delta = pd.Timedelta(count * 7, "D") if unit == "W" else pd.Timedelta(count, unit)
    return delta, f"{count}{name}"


def parse_timeframe(timeframe: str | pd.Timedelta) -> pd.Timedelta:
    """Duration of a timeframe string ("1Min", "4Hour", "1Day", "1Week", "15m", "1h", "1d").

    A Timedelta passes through. Raises ValueError with the accepted forms otherwise.
    """
    if isinstance(timeframe, pd.Timedelta):
        if timeframe <= pd.Timedelta(0):
            raise ValueError(f"timeframe {timeframe} must be a positive duration")
        return timeframe
    if not isinstance(timeframe, str):
        raise ValueError(f"timeframe must be a string like '1Day', got {timeframe!r}")
    return _parse(timeframe)[0]


def canonical_timeframe(timeframe: str) -> str:
    """The canonical spelling: "15m" -> "15Min", "1h" -> "1Hour", "1d" -> "1Day"."""
    return _parse(timeframe)[1]


def annualisation_factor(calendar: str, timeframe: str | pd.Timedelta) -> float:
    """Bars per year for a calendar and timeframe, to annualise returns and volatility.

    Equities (e.g. "XNYS"): 252 trading days; intraday bars per day = ceil(session / bar),
    with a 6.5 h session (so 1Hour -> 7 bars, as hour-aligned bars cover 9:30-16:00 ET).
    Crypto ("24/7"): 365 days of 24 h. Bars of a week or more: 365 / days for both.
    """
    delta = parse_timeframe(timeframe)
    if delta >= WEEK:
        return CALENDAR_DAYS_PER_YEAR / (delta / DAY)
    if calendar == CRYPTO_CALENDAR:
        return CALENDAR_DAYS_PER_YEAR * (DAY / delta)
    if calendar not in SESSION_HOURS:
        known = ", ".join([*SESSION_HOURS, CRYPTO_CALENDAR])
        raise ValueError(f"unknown calendar {calendar!r}; known: {known}")
    if delta >= DAY:
        return TRADING_DAYS_PER_YEAR / (delta / DAY)
    session = pd.Timedelta(hours=SESSION_HOURS[calendar])
    return float(TRADING_DAYS_PER_YEAR * math.ceil(session / delta))


def min_spacing(frame: pd.DataFrame) -> pd.Timedelta:
    """The smallest distance between two bars of `frame` (at least 2 bars)."""
    return pd.Timedelta(int(np.diff(frame.index.as_unit("ns").asi8).min()), "ns")


def data_timeframe(frames: Mapping[str, pd.DataFrame]) -> str:
    """The bar duration of the data (the smallest spacing of any series)."""
    spacing = min(min_spacing(f) for f in frames.values() if len(f) > 1)
    for unit, name in ((pd.Timedelta(days=1), "Day"), (pd.Timedelta(hours=1), "Hour")):
        if spacing >= unit and spacing % unit == pd.Timedelta(0):
            return canonical_timeframe(f"{spacing // unit}{name}")
    return canonical_timeframe(f"{max(1, spacing // pd.Timedelta(minutes=1))}Min")
