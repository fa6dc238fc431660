"""Synthetic generator: seeded, labelled, plausible OHLCV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradepit.market.bundled import load_bundled
from tradepit.market.synthetic import (
    is_synthetic,
    synthetic_asset,
    synthetic_ohlcv,
    synthetic_symbol,
    synthetic_universe,
)


def test_same_seed_same_frame_other_seed_differs() -> None:
    first = synthetic_ohlcv(bars=500, seed=7)
    pd.testing.assert_frame_equal(first, synthetic_ohlcv(bars=500, seed=7))
    assert not np.allclose(first["close"], synthetic_ohlcv(bars=500, seed=8)["close"])


def test_labelled_synthetic() -> None:
    frame = synthetic_ohlcv("abc", bars=10)
    assert is_synthetic(frame) and frame.attrs["symbol"] == "SYN-abc"
    assert is_synthetic(frame.iloc[2:5])  # the label survives slicing
    assert not is_synthetic(load_bundled("SPX"))
    assert synthetic_symbol(3) == "SYN-3" and synthetic_symbol("SYN-3") == "SYN-3"
    assert synthetic_asset("x").symbol == "SYN-x"
    assert list(synthetic_universe(3, bars=5)) == ["SYN-1", "SYN-2", "SYN-3"]


@pytest.mark.parametrize(
    ("timeframe", "calendar"), [("1Day", "XNYS"), ("5Min", "XNYS"), ("1Hour", "24/7")]
)
def test_ohlc_envelope_and_gaps(timeframe: str, calendar: str) -> None:
    frame = synthetic_ohlcv(bars=3000, timeframe=timeframe, calendar=calendar, seed=1)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert str(frame.index.tz) == "UTC"
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame["low"] > 0).all() and (frame["volume"] > 0).all()
    gap = (frame["open"] / frame["close"].shift() - 1).abs().iloc[1:]
    move = (frame["close"] / frame["open"] - 1).abs()
    assert gap.median() < move.median()  # open sits near the previous close


def test_calendars() -> None:
    daily = synthetic_ohlcv(bars=30, start="2024-01-06")  # a Saturday
    assert (daily.index.day_of_week < 5).all() and daily.index[0].day_name() == "Monday"
    weekly = synthetic_ohlcv(bars=4, timeframe="1Week", start="2024-01-03")
    assert (weekly.index.day_of_week == 0).all() and weekly.index[0] >= pd.Timestamp(
        "2024-01-03", tz="UTC"
    )
    crypto = synthetic_ohlcv(bars=48, timeframe="1Hour", calendar="24/7")
    assert (np.diff(crypto.index.asi8) == 3600 * 10**9).all()
    intraday = synthetic_ohlcv(bars=200, timeframe="5Min")
    minutes = intraday.index.hour * 60 + intraday.index.minute
    assert minutes.min() >= 14 * 60 + 30 and minutes.max() < 21 * 60


def test_regimes_switch_and_differ() -> None:
    frame = synthetic_ohlcv(bars=5000, seed=3, include_regime=True)
    assert set(frame["regime"]) == {"bull", "bear", "sideways"}
    returns = np.log(frame["close"]).diff()
    by_regime = returns.groupby(frame["regime"])
    assert by_regime.mean()["bull"] > by_regime.mean()["bear"]
    assert by_regime.std()["bear"] > by_regime.std()["sideways"]
    switches = int((frame["regime"] != frame["regime"].shift()).sum()) - 1
    assert 20 < switches < 500  # about one switch per 60 trading days


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        synthetic_ohlcv(bars=0)
    with pytest.raises(ValueError):
        synthetic_ohlcv(timeframe="1Month")
