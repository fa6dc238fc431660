"""load_ohlcv: tolerant of common spellings, loud about malformed input."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradepit.domain.errors import MalformedDataError, NoDataError
from tradepit.market.loaders import load_ohlcv, normalise_ohlcv

YAHOO = """Date,Open,High,Low,Close,Adj Close,Volume
2024-01-03,11,12,10,11.5,11.4,200
2024-01-02,10,11,9,10.5,10.4,100
2024-01-04,null,null,null,null,null,null
"""


def _write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _check_standard(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert frame.index.name == "timestamp" and str(frame.index.tz) == "UTC"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique


def test_yahoo_csv_sorted_close_not_adj_close_null_rows_dropped(tmp_path: Path) -> None:
    frame = load_ohlcv(_write(tmp_path, YAHOO))
    _check_standard(frame)
    assert [t.isoformat() for t in frame.index] == [
        "2024-01-02T00:00:00+00:00",
        "2024-01-03T00:00:00+00:00",
    ]
    assert frame["close"].tolist() == [10.5, 11.5]
    assert frame["volume"].tolist() == [100.0, 200.0]


def test_lowercase_timestamp_with_offset_converted_to_utc(tmp_path: Path) -> None:
    text = "timestamp,open,high,low,close,volume\n2024-01-02 09:30:00-05:00,1,2,0.5,1.5,10\n"
    frame = load_ohlcv(_write(tmp_path, text))
    assert frame.index[0] == pd.Timestamp("2024-01-02 14:30", tz="UTC")


def test_naive_times_are_utc_and_volume_optional(tmp_path: Path) -> None:
    text = (
        "Datetime,OPEN,HIGH,LOW,CLOSE\n2024-01-02 10:00,1,2,0.5,1.5\n2024-01-02 10:01,1.5,2,1,1.2\n"
    )
    frame = load_ohlcv(_write(tmp_path, text))
    _check_standard(frame)
    assert frame.index[0] == pd.Timestamp("2024-01-02 10:00", tz="UTC")
    assert (frame["volume"] == 0).all()


def test_adj_close_used_when_no_close(tmp_path: Path) -> None:
    text = "date,open,high,low,adj close\n2024-01-02,1,2,0.5,1.5\n"
    assert load_ohlcv(_write(tmp_path, text))["close"].iloc[0] == 1.5


def test_epoch_milliseconds_and_thousands_separators(tmp_path: Path) -> None:
    ms = int(pd.Timestamp("2024-01-02", tz="UTC").timestamp() * 1000)
    text = f'time,open,high,low,close,volume\n{ms},1,2,0.5,1.5,"1,234"\n'
    frame = load_ohlcv(_write(tmp_path, text))
    assert frame.index[0] == pd.Timestamp("2024-01-02", tz="UTC")
    assert frame["volume"].iloc[0] == 1234.0


def test_us_thousands_separators_in_prices(tmp_path: Path) -> None:
    text = 'Date,Open,High,Low,Close\n2015-01-02,"2,058.90","2,072.36","2,046.04","2,058.20"\n'
    frame = load_ohlcv(_write(tmp_path, text))
    assert frame.iloc[0].tolist()[:4] == [2058.90, 2072.36, 2046.04, 2058.20]


@pytest.mark.parametrize(
    ("close", "shown"), [('"2058,20"', "'2058,20'"), ('"2.058,2"', "'2.058,2'")]
)
def test_decimal_comma_is_refused(tmp_path: Path, close: str, shown: str) -> None:
    text = f"Date,Open,High,Low,Close\n2015-01-02,2058.9,2072.36,2046.04,{close}\n"
    with pytest.raises(MalformedDataError) as caught:  # it read 2058,20 as 205820
        load_ohlcv(_write(tmp_path, text))
    assert f"decimal comma in {shown} in column 'close' at row 1" in str(caught.value)
    assert "'.' as the decimal mark" in str(caught.value)


def test_yyyymmdd_integers(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close\n20240102,1,2,0.5,1.5\n"
    assert load_ohlcv(_write(tmp_path, text)).index[0] == pd.Timestamp("2024-01-02", tz="UTC")


def test_duplicates_removed_with_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = "Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n2024-01-02,9,9,9,9\n"
    with caplog.at_level(logging.WARNING, logger="tradepit.market.loaders"):
        frame = load_ohlcv(_write(tmp_path, text))
    assert len(frame) == 1 and frame["open"].iloc[0] == 1.0
    assert "duplicated" in caplog.text


def test_parquet_with_datetime_index(tmp_path: Path) -> None:
    index = pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="Date")
    source = pd.DataFrame(
        {"Open": [1, 2], "High": [2, 3], "Low": [0.5, 1], "Close": [1.5, 2.5], "Volume": [1, 2]},
        index=index,
    )
    path = tmp_path / "bars.parquet"
    source.to_parquet(path)
    frame = load_ohlcv(path)
    _check_standard(frame)
    assert frame["close"].tolist() == [1.5, 2.5]


def test_normalise_frame_with_date_index_name() -> None:
    raw = pd.DataFrame(
        {"Open": [1.0], "High": [2.0], "Low": [0.5], "Close": [1.5]},
        index=pd.Index(["2024-01-02"], name="Date"),
    )
    assert normalise_ohlcv(raw).index[0] == pd.Timestamp("2024-01-02", tz="UTC")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Date,Open,High,Close\n2024-01-02,1,2,1.5\n", "missing column 'low'"),
        ("Foo,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n", "missing time column"),
        (
            "Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\nnot-a-date,1,2,0.5,1.5\n",
            "unparseable date 'not-a-date' at row 2",
        ),
        (
            "Date,Open,High,Low,Close\n02/01/15,1,2,0.5,1.5\n",  # a 2-digit year: which is which?
            "cannot tell the format of the date '02/01/15'",
        ),
        ("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,abc\n", "non-numeric value 'abc'"),
        ('Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,"1,2,3"\n', "non-numeric value '1,2,3'"),
        ("Date,Open,High,Low,Close\n2024-01-02,1,0.5,2,1\n", "high < low"),
        ("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,3\n", "outside low..high"),
        ("Date,Open,High,Low,Close\n2024-01-02,0,2,0,1\n", "non-positive"),
        ("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,-5\n", "negative volume"),
        ("Date,Open,High,Low,Close\n2024-01-02,1,,0.5,1.5\n", "missing price"),
    ],
)
def test_malformed(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(MalformedDataError, match=reason.replace("(", r"\(")):
        load_ohlcv(_write(tmp_path, text))


def test_inconsistent_ohlc_names_the_bar_and_no_python_option(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n2024-01-03,1,2,0.5,3\n"
    with pytest.raises(MalformedDataError) as caught:
        load_ohlcv(_write(tmp_path, text))
    message = str(caught.value)
    assert "1 rows with open or close outside low..high (inconsistent OHLC)" in message
    assert "first at 2024-01-03 (O/H/L/C/V 1/2/0.5/3/0); fix them in the file" in message
    assert "repair" not in message  # a keyword of load_ohlcv, not something the CLI takes


def test_repair_widens_high_low(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,3\n"
    frame = load_ohlcv(_write(tmp_path, text), repair=True)
    assert frame["high"].iloc[0] == 3.0 and frame["low"].iloc[0] == 0.5


def test_unsupported_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(MalformedDataError, match="unsupported"):
        load_ohlcv(_write(tmp_path, "x", name="bars.xlsx"))
    with pytest.raises(MalformedDataError, match="no such file"):
        load_ohlcv(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    "text", ["", "Date,Open,High,Low,Close\n", "Date,Open,High,Low,Close\n2024-01-02,,,,\n"]
)
def test_empty_is_no_data(tmp_path: Path, text: str) -> None:
    with pytest.raises(NoDataError):
        load_ohlcv(_write(tmp_path, text))


def _daily_csv(tmp_path: Path, dates: pd.DatetimeIndex, fmt: str) -> Path:
    close = np.arange(1.0, len(dates) + 1)  # the close tells which date a bar was written for
    frame = pd.DataFrame(
        {"Date": dates.strftime(fmt), "Open": close, "High": close, "Low": close, "Close": close}
    )
    path = tmp_path / "bars.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%b-%Y"])
def test_dates_are_read_in_one_format_for_the_whole_column(tmp_path: Path, fmt: str) -> None:
    dates = pd.bdate_range("2015-01-02", periods=30, tz="UTC")  # 02/01 .. 12/01 read both ways
    frame = load_ohlcv(_daily_csv(tmp_path, dates, fmt))
    assert frame.index.equals(pd.DatetimeIndex(dates, name="timestamp"))
    assert frame["close"].tolist() == list(np.arange(1.0, 31))  # it mixed: 02/01 became Feb 1


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y"])
def test_dates_that_read_both_day_and_month_first_are_refused(tmp_path: Path, fmt: str) -> None:
    dates = pd.bdate_range("2015-01-02", "2015-01-12", tz="UTC")  # no day above 12
    with pytest.raises(MalformedDataError) as caught:
        load_ohlcv(_daily_csv(tmp_path, dates, fmt))
    first = dates[0].strftime(fmt)
    assert f"ambiguous dates: '{first}' at row 1 could be" in str(caught.value)
    assert "write dates as ISO YYYY-MM-DD" in str(caught.value)


@pytest.mark.parametrize(
    "dates",
    [
        ["02/01/2015", "13/01/2015", "14/01/2015", "01/15/2015"],  # day-first, then month-first
        ["2015-01-02", "2015-01-05", "01/06/2015"],  # ISO and slashes
    ],
)
def test_dates_in_mixed_formats_are_refused(tmp_path: Path, dates: list[str]) -> None:
    rows = "".join(f"{d},1,2,0.5,1.5\n" for d in dates)
    odd = f"mixed formats: '{dates[-1]}' at row {len(dates)} is not"
    with pytest.raises(MalformedDataError, match=odd):
        load_ohlcv(_write(tmp_path, "Date,Open,High,Low,Close\n" + rows))


def test_non_iso_datetimes_with_offset(tmp_path: Path) -> None:
    text = "Datetime,Open,High,Low,Close\n01/13/2015 09:30 -05:00,1,2,0.5,1.5\n"
    frame = load_ohlcv(_write(tmp_path, text))
    assert frame.index[0] == pd.Timestamp("2015-01-13 14:30", tz="UTC")


def test_separate_date_and_time_columns_are_joined(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    when = pd.date_range("2024-01-02 09:30", periods=390, freq="min", tz="UTC").append(
        pd.date_range("2024-01-03 09:30", periods=390, freq="min", tz="UTC")
    )
    close = np.arange(1.0, len(when) + 1)
    raw = pd.DataFrame({"Date": when.strftime("%Y-%m-%d"), "Time": when.strftime("%H:%M"),
                        "Open": close, "High": close, "Low": close, "Close": close})  # fmt: skip
    path = tmp_path / "minutes.csv"
    raw.to_csv(path, index=False)
    with caplog.at_level(logging.WARNING, logger="tradepit.market.loaders"):
        frame = load_ohlcv(path)
    assert frame.index.equals(pd.DatetimeIndex(when, name="timestamp"))  # not 2 daily bars
    assert frame["close"].tolist() == close.tolist()
    assert "duplicated" not in caplog.text


def test_a_time_column_that_is_not_a_clock_time_is_refused(tmp_path: Path) -> None:
    text = "Date,Time,Open,High,Low,Close\n2024-01-02,930,1,2,0.5,1.5\n"
    with pytest.raises(
        MalformedDataError, match="cannot join the Date and Time columns: time '930'"
    ):
        load_ohlcv(_write(tmp_path, text))
