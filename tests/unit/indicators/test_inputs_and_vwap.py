"""Input handling shared by all indicators, and VWAP session anchoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradepit.indicators import IndicatorInputError, IndicatorParamError, atr, obv, sma, vwap


def test_unequal_lengths_and_bad_shapes_are_refused() -> None:
    with pytest.raises(IndicatorInputError, match="unequal lengths"):
        atr(np.ones(30), np.ones(30), np.ones(29))
    with pytest.raises(IndicatorInputError, match="one-dimensional"):
        sma(np.ones((30, 2)))
    with pytest.raises(IndicatorInputError, match="float64"):
        sma(["a", "b", "c"])


def test_nullable_series_reads_na_as_nan() -> None:
    close = pd.Series([None, 1.0, 2.0, 4.0, 6.0], dtype="Float64")
    out = sma(close, 2)  # TA-Lib skips leading NaN
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [np.nan, np.nan, 1.5, 3.0, 5.0])


def test_short_input_is_all_warmup() -> None:
    assert np.isnan(sma(np.arange(5.0), 20)).all()


def test_obv_accumulates_signed_volume() -> None:
    close = np.array([10.0, 11.0, 10.5, 10.5, 12.0])
    volume = np.array([100.0, 50.0, 30.0, 20.0, 10.0])
    # 100, +50 (up), -30 (down), unchanged, +10 (up)
    np.testing.assert_array_equal(obv(close, volume), [100, 150, 120, 120, 130])


def _bars(index: pd.DatetimeIndex) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(3)
    close = 100 + np.cumsum(rng.normal(0, 1, index.size))
    volume = rng.integers(1, 1000, index.size).astype(float)
    return close + 1, close - 1, close, volume


def _session_vwap(h, lo, c, v, sessions) -> np.ndarray:
    frame = pd.DataFrame({"pv": (h + lo + c) / 3 * v, "v": v})
    sums = frame.groupby(np.asarray(sessions)).cumsum()
    return (sums["pv"] / sums["v"]).to_numpy()


def test_vwap_anchors_on_the_wall_clock_date_of_the_index() -> None:
    utc = pd.date_range("2024-03-04 20:00", periods=30, freq="h", tz="UTC")
    h, lo, c, v = _bars(utc)
    new_york = utc.tz_convert("America/New_York")
    np.testing.assert_allclose(vwap(h, lo, c, v, utc), _session_vwap(h, lo, c, v, utc.date))
    ny_sessions = new_york.tz_localize(None).date
    np.testing.assert_allclose(vwap(h, lo, c, v, new_york), _session_vwap(h, lo, c, v, ny_sessions))
    # a session restarts at 00:00 UTC in one, at 05:00 UTC (00:00 New York) in the other
    assert vwap(h, lo, c, v, utc)[4] == pytest.approx((h[4] + lo[4] + c[4]) / 3)
    assert vwap(h, lo, c, v, new_york)[9] == pytest.approx((h[9] + lo[9] + c[9]) / 3)


def test_vwap_cumulative_without_index_and_zero_volume() -> None:
    h, lo, c, v = _bars(pd.date_range("2024-01-01", periods=50, freq="min"))
    v[:3] = 0.0
    out = vwap(h, lo, c, v)
    assert np.isnan(out[:3]).all()
    typical = (h + lo + c) / 3
    for t in (3, 20, 49):
        assert out[t] == pytest.approx(np.dot(typical[: t + 1], v[: t + 1]) / v[: t + 1].sum())


def test_vwap_refuses_bad_index_or_anchor() -> None:
    index = pd.date_range("2024-01-01", periods=10, freq="h")
    h, lo, c, v = _bars(index)
    with pytest.raises(IndicatorInputError):
        vwap(h, lo, c, v, index[:5])
    with pytest.raises(IndicatorInputError, match="sorted"):
        vwap(h, lo, c, v, index[::-1])
    with pytest.raises(IndicatorParamError):
        vwap(h, lo, c, v, index, anchor="h")
