"""resample: OHLCV aggregation checked against hand-computed bars."""

from __future__ import annotations

import pandas as pd
import pytest

from tradepit.market.resample import resample

COLUMNS = ["open", "high", "low", "close", "volume"]


def _frame(rows: dict[str, tuple[float, float, float, float, float]]) -> pd.DataFrame:
    index = pd.DatetimeIndex(list(rows), tz="UTC", name="timestamp")
    return pd.DataFrame(list(rows.values()), index=index, columns=COLUMNS, dtype="float64")


MINUTES = _frame(
    {
        "2024-01-02 14:00": (10, 12, 9, 11, 100),
        "2024-01-02 14:01": (11, 13, 10, 12, 50),
        "2024-01-02 14:59": (12, 12.5, 8, 9, 10),
        "2024-01-02 15:00": (9, 10, 7, 8, 5),
        "2024-01-02 15:30": (8, 15, 8, 14, 20),
        "2024-01-03 09:00": (20, 21, 19, 20.5, 1),
    }
)
HOURS = _frame(
    {
        "2024-01-02 14:00": (10, 13, 8, 9, 160),
        "2024-01-02 15:00": (9, 15, 7, 14, 25),
        "2024-01-03 09:00": (20, 21, 19, 20.5, 1),
    }
)
DAYS = _frame(
    {
        "2024-01-02": (10, 15, 7, 14, 185),
        "2024-01-03": (20, 21, 19, 20.5, 1),
    }
)


def test_minutes_to_hours_drops_empty_periods() -> None:
    pd.testing.assert_frame_equal(resample(MINUTES, "1Hour"), HOURS, check_freq=False)


def test_hours_to_days_and_minutes_to_days_agree() -> None:
    pd.testing.assert_frame_equal(resample(HOURS, "1Day"), DAYS, check_freq=False)
    pd.testing.assert_frame_equal(resample(MINUTES, "1d"), DAYS, check_freq=False)


def test_weekly_bars_start_on_monday() -> None:
    days = _frame(
        {
            "2024-01-03": (1, 2, 0.5, 1.5, 1),  # Wednesday
            "2024-01-05": (1.5, 3, 1, 2, 2),  # Friday
            "2024-01-08": (2, 2.5, 1.8, 2.2, 3),  # next Monday
        }
    )
    weeks = resample(days, "1Week")
    assert [t.isoformat() for t in weeks.index] == [
        "2024-01-01T00:00:00+00:00",
        "2024-01-08T00:00:00+00:00",
    ]
    assert weeks.iloc[0].tolist() == [1, 3, 0.5, 2, 3]


def test_close_only_and_attrs_kept() -> None:
    closes = MINUTES[["close"]].copy()
    closes.attrs["synthetic"] = True
    out = resample(closes, "1Hour")
    assert list(out.columns) == ["close"] and out["close"].tolist() == [9, 14, 20.5]
    assert out.attrs["synthetic"] is True


def test_finer_target_refused() -> None:
    with pytest.raises(ValueError, match="finer"):
        resample(DAYS, "1Hour")
