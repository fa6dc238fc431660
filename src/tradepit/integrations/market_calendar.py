"""NYSE sessions and closes (exchange_calendars XNYS, offline; early closes included).

Times in and out are UTC-aware datetimes; sessions are exchange dates. Seconds are
floored to the minute (closes fall on whole minutes, so ordering is preserved). Dates
outside the calendar (`market.sessions.SPAN`, 1980 .. 2035) raise ValueError.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    import pandas as pd

CALENDAR = "XNYS"
P = ParamSpec("P")
R = TypeVar("R")


def _quiet(func: Callable[P, R]) -> Callable[P, R]:
    """Silence the pandas 3.1 deprecation (Pandas4Warning) exchange_calendars trips."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from pandas.errors import Pandas4Warning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Pandas4Warning)
            return func(*args, **kwargs)

    return wrapper


def calendar(name: str = CALENDAR) -> Any:
    """The exchange_calendars calendar `name`: the one the feed and the schedules use
    (`market.sessions`, built once per process)."""
    from tradepit.market.sessions import SPAN, exchange_calendar

    return exchange_calendar(name, *SPAN)


def _minute(now: datetime) -> pd.Timestamp:
    import pandas as pd

    if now.tzinfo is None:
        raise ValueError("market calendar times must be timezone-aware")
    return pd.Timestamp(now).tz_convert("UTC").floor("min")


def _utc(ts: pd.Timestamp) -> datetime:
    return ts.tz_convert("UTC").to_pydatetime().astimezone(UTC)


def _session(day: date) -> pd.Timestamp:
    import pandas as pd

    return pd.Timestamp(day)


@_quiet
def session_close(session: date) -> datetime:
    """The close of exchange session `session` (ValueError if it is not a session)."""
    return _utc(calendar().session_close(_session(session)))


@_quiet
def session_open(session: date) -> datetime:
    return _utc(calendar().session_open(_session(session)))


@_quiet
def previous_session(session: date) -> date:
    return calendar().previous_session(_session(session)).date()


@_quiet
def next_session(session: date) -> date:
    return calendar().next_session(_session(session)).date()


def _local_date(now: datetime) -> date:
    return _minute(now).tz_convert(calendar().tz).date()


@_quiet
def is_after_close(now: datetime) -> bool:
    """True when `now` falls on a session day (New York date) at or after its close."""
    cal = calendar()
    today = _session(_local_date(now))
    return bool(cal.is_session(today)) and _minute(now) >= cal.session_close(today)


@_quiet
def next_close(now: datetime) -> datetime:
    """The first session close strictly after `now`."""
    return _utc(calendar().next_close(_minute(now)))


@_quiet
def last_closed_session(now: datetime) -> date:
    """The latest session whose close is at or before `now`."""
    cal = calendar()
    candidate = cal.date_to_session(_session(_local_date(now)), direction="previous")
    if cal.session_close(candidate) > _minute(now):
        candidate = cal.previous_session(candidate)
    return candidate.date()
