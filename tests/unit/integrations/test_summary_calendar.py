"""NYSE closes from the XNYS calendar, offline: regular, DST, early closes, holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tradepit.integrations.market_calendar import (
    is_after_close,
    last_closed_session,
    next_close,
    session_close,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "after"),
    [
        (utc(2024, 3, 5, 20, 59, 59), False),  # 15:59:59 New York (EST)
        (utc(2024, 3, 5, 21, 0), True),
        (utc(2024, 3, 6, 2, 0), True),  # 21:00 New York, same session day
        (utc(2024, 3, 11, 20, 0), True),  # first Monday of EDT: the close is 20:00 UTC
        (utc(2024, 3, 11, 19, 59), False),
        (utc(2024, 11, 29, 18, 0), True),  # day after Thanksgiving: 13:00 close
        (utc(2024, 3, 9, 22, 0), False),  # Saturday
        (utc(2024, 7, 4, 22, 0), False),  # Independence Day
        (utc(2024, 3, 5, 14, 0), False),  # before the open
    ],
)
def test_is_after_close(now, after):
    assert is_after_close(now) is after


def test_next_close_skips_weekends_holidays_and_uses_early_closes():
    assert next_close(utc(2024, 3, 5, 15, 0)) == utc(2024, 3, 5, 21, 0)
    assert next_close(utc(2024, 3, 5, 21, 0)) == utc(2024, 3, 6, 21, 0)  # strictly after
    assert next_close(utc(2024, 3, 8, 21, 30)) == utc(2024, 3, 11, 20, 0)  # weekend + DST
    assert next_close(utc(2024, 7, 2, 21, 0)) == utc(2024, 7, 3, 17, 0)  # early close
    assert next_close(utc(2024, 7, 3, 17, 0)) == utc(2024, 7, 5, 20, 0)  # July 4th closed


def test_last_closed_session_and_other_time_zones():
    tokyo = timezone(timedelta(hours=9))
    assert last_closed_session(utc(2024, 3, 5, 20, 59)) == date(2024, 3, 4)
    assert last_closed_session(utc(2024, 3, 5, 21, 0)) == date(2024, 3, 5)
    assert last_closed_session(utc(2024, 3, 10, 12, 0)) == date(2024, 3, 8)
    assert last_closed_session(datetime(2024, 3, 6, 6, 0, tzinfo=tokyo)) == date(2024, 3, 5)
    assert session_close(date(2024, 12, 24)) == utc(2024, 12, 24, 18, 0)


def test_naive_times_and_non_sessions_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        is_after_close(datetime(2024, 3, 5, 21, 0))
    with pytest.raises(ValueError):
        session_close(date(2024, 3, 9))
