"""Timeframe parsing and annualisation."""

from __future__ import annotations

import pandas as pd
import pytest

from tradepit.market.timeframe import annualisation_factor, canonical_timeframe, parse_timeframe


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("1Min", pd.Timedelta(minutes=1), "1Min"),
        ("5Min", pd.Timedelta(minutes=5), "5Min"),
        ("15Min", pd.Timedelta(minutes=15), "15Min"),
        ("30Min", pd.Timedelta(minutes=30), "30Min"),
        ("1Hour", pd.Timedelta(hours=1), "1Hour"),
        ("4Hour", pd.Timedelta(hours=4), "4Hour"),
        ("1Day", pd.Timedelta(days=1), "1Day"),
        ("1Week", pd.Timedelta(days=7), "1Week"),
        ("1m", pd.Timedelta(minutes=1), "1Min"),
        ("15m", pd.Timedelta(minutes=15), "15Min"),
        ("1h", pd.Timedelta(hours=1), "1Hour"),
        ("1d", pd.Timedelta(days=1), "1Day"),
        ("2hours", pd.Timedelta(hours=2), "2Hour"),
    ],
)
def test_parse(text: str, expected: pd.Timedelta, canonical: str) -> None:
    assert parse_timeframe(text) == expected
    assert canonical_timeframe(text) == canonical


@pytest.mark.parametrize("bad", ["", "Day", "1", "0Day", "-1Day", "1Month", "1M", "1y", "1.5h"])
def test_rejects_with_clear_error(bad: str) -> None:
    with pytest.raises(ValueError, match="timeframe"):
        parse_timeframe(bad)


def test_timedelta_passes_through() -> None:
    assert parse_timeframe(pd.Timedelta(hours=2)) == pd.Timedelta(hours=2)


@pytest.mark.parametrize(
    ("calendar", "timeframe", "expected"),
    [
        ("XNYS", "1Day", 252),
        ("XNYS", "1Hour", 252 * 7),  # 9:30-16:00 ET spans 7 hour-aligned bars
        ("XNYS", "30Min", 252 * 13),
        ("XNYS", "1Min", 252 * 390),
        ("24/7", "1Day", 365),
        ("24/7", "1Hour", 365 * 24),
        ("24/7", "1Min", 365 * 24 * 60),
        ("XNYS", "1Week", 365 / 7),
        ("24/7", "1Week", 365 / 7),
    ],
)
def test_annualisation(calendar: str, timeframe: str, expected: float) -> None:
    assert annualisation_factor(calendar, timeframe) == pytest.approx(expected)


def test_unknown_calendar() -> None:
    with pytest.raises(ValueError, match="calendar"):
        annualisation_factor("XXXX", "1Day")
