"""Exchange sessions (exchange_calendars, offline): the calendar itself and when a daily bar
of an exchange-traded asset is complete, which is at its session's close, not at midnight."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import pandas as pd
from pandas.errors import Pandas4Warning

from tradepit.market.timeframe import CRYPTO_CALENDAR

DAY_NS = pd.Timedelta(days=1).value


SPAN = (1980, 2035)
"""Years every calendar covers at least: building one costs about 0.5 s whatever its span,
so one wide calendar per name serves the feed and the schedules alike."""


def exchange_calendar(name: str, first_year: int, last_year: int) -> Any:
    """The calendar `name` over (at least) the years `first_year` .. `last_year`."""
    return _calendar(name, min(first_year, SPAN[0]), max(last_year, SPAN[1]))


@functools.lru_cache(maxsize=8)
def _calendar(name: str, first_year: int, last_year: int) -> Any:
    import exchange_calendars as xcals

    with warnings.catch_warnings():  # exchange_calendars trips a pandas 3.1 deprecation
        warnings.simplefilter("ignore", Pandas4Warning)
        try:
            return xcals.get_calendar(
                name, start=f"{first_year - 1}-12-01", end=f"{last_year + 1}-01-31"
            )
        except xcals.errors.InvalidCalendarName:
            raise ValueError(
                f"unknown exchange calendar {name!r} (e.g. XNYS, XNAS, XLON, or 24/7 for crypto)"
            ) from None


def bar_end(calendar: str | None, open_ns: int, duration_ns: int) -> int:
    """When the bar of `duration_ns` opened at `open_ns` (int64 ns) is complete: a daily bar
    (labelled at the UTC midnight of its date) of an exchange-traded asset at its session's
    close; any other bar (no calendar, 24/7, a date that is no session, intraday) at open +
    duration."""
    if duration_ns != DAY_NS or calendar in (None, CRYPTO_CALENDAR):
        return open_ns + duration_ns
    return _session_close(calendar, open_ns)


def complete_count(opens: np.ndarray, now_ns: int, calendar: str | None, duration_ns: int) -> int:
    """How many of the bars opened at `opens` (sorted int64 ns) are complete at `now_ns`.
    Every session closes before the next UTC midnight, so only the bar of now's own date
    can need the calendar: a chat at midnight never loads one."""
    count = int(np.searchsorted(opens, now_ns - duration_ns, side="right"))
    if count < len(opens) and opens[count] <= now_ns:
        count += bar_end(calendar, int(opens[count]), duration_ns) <= now_ns
    return count


@functools.lru_cache(maxsize=4096)
def _session_close(calendar: str, open_ns: int) -> int:
    midnight = open_ns + DAY_NS
    day = pd.Timestamp(open_ns, unit="ns").normalize()
    try:
        cal = exchange_calendar(calendar, day.year, day.year)
    except ValueError:
        return midnight
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Pandas4Warning)
        closes = cal.schedule["close"]
    if day not in closes.index:
        return midnight
    return min(int(pd.Timestamp(closes.loc[day]).value), midnight)
