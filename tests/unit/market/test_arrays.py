from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tradepit.market.arrays import float_columns, frame_bars
from tradepit.market.bundled import load_bundled


def test_columns_of_a_feed_frame_are_read_only_views_with_the_frame_values() -> None:
    bars = load_bundled("SPX").iloc[100:400]
    o, h, low, c = float_columns(bars)
    for name, array in zip(("open", "high", "low", "close"), (o, h, low, c), strict=True):
        np.testing.assert_array_equal(array, bars[name].to_numpy())
        assert array.dtype == np.float64 and array.flags.c_contiguous
        assert not array.flags.writeable  # a strategy cannot write into the feed's data
    (close,) = float_columns(bars, ("close",))
    np.testing.assert_array_equal(close, c)


def test_mixed_columns_are_converted_one_by_one() -> None:
    bars = pd.DataFrame({"close": [1, 2, 3], "symbol": ["A", "A", "A"], "high": [1.5, 2.5, 3.5]})
    close, high = float_columns(bars, ("close", "high"))
    assert close.dtype == np.float64 and close.tolist() == [1.0, 2.0, 3.0]
    assert high.tolist() == [1.5, 2.5, 3.5]
    with pytest.raises(KeyError):
        float_columns(bars, ("open",))
    with pytest.raises(KeyError):
        float_columns(load_bundled("SPX").iloc[:5], ("vwap",))


def test_frame_bars_are_the_rows_with_exact_decimal_prices_in_order() -> None:
    frame = load_bundled("SPX").iloc[200:203]
    bars = frame_bars("SPX", frame)
    assert [b.timestamp for b in bars] == list(frame.index.to_pydatetime())
    assert all(b.symbol == "SPX" and b.timestamp.utcoffset() == timedelta(0) for b in bars)
    for bar, row in zip(bars, frame.itertuples(index=False), strict=True):
        assert bar.close == Decimal(repr(row.close)) and bar.low == Decimal(repr(row.low))
        assert float(bar.open) == row.open and float(bar.high) == row.high
        assert float(bar.volume) == row.volume
    assert frame_bars("SPX", frame.iloc[:0]) == []


def test_a_missing_volume_becomes_zero() -> None:
    index = pd.DatetimeIndex(["2024-01-02", "2024-01-03"], tz="UTC")
    frame = pd.DataFrame(
        {"open": [10.0, 11.0], "high": [12.0, 12.5], "low": [9.5, 10.5], "close": [11.0, 12.0],
         "volume": [np.nan, 300.0]},
        index=index,
    )  # fmt: skip
    first, second = frame_bars("BTC/USD", frame)
    assert first.volume == 0 and second.volume == Decimal("300.0")
    assert first.timestamp == datetime(2024, 1, 2, tzinfo=UTC)
    assert second.open == Decimal("11.0") and second.high == Decimal("12.5")
