"""RSI divergence: a hand-checked table and the no-look-ahead property on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepit.indicators import IndicatorParamError, rsi, rsi_divergence

NAN = np.nan
# bar:          0   1  2  3   4    5    6    7  8  9  10  11    12  13    14  15  16
CLOSE = np.array([10, 9, 8, 9, 10, 9.5, 8.5, 7.5, 8, 9, 10, 11, 10.5, 10, 11.5, 11, 10])
RSI = np.array([NAN, NAN, 30, 40, 60, 50, 40, 35, 45, 55, 62, 70, 60, 50, 65, 58, 50])
# pivot = 2 (two bars each side). Price pivots:
#   low  @2  close 8,    left 10, 9 > 8;       right 9, 10 >= 8      -> known at bar 4
#   high @4  close 10,   left 8, 9 < 10;       right 9.5, 8.5 <= 10  -> known at bar 6
#   low  @7  close 7.5,  left 9.5, 8.5 > 7.5;  right 8, 9 >= 7.5     -> known at bar 9
#   high @11 close 11,   left 9, 10 < 11;      right 10.5, 10 <= 11  -> known at bar 13
#   low  @13 close 10,   left 11, 10.5 > 10;   right 11.5, 11 >= 10  -> known at bar 15
#   high @14 close 11.5, left 10.5, 10 < 11.5; right 11, 10 <= 11.5  -> known at bar 16
# (e.g. bar 6, 8.5: right neighbour 7.5 is lower, so not a pivot low.)
# low @7 vs low @2: price 7.5 < 8 (lower low), RSI 35 > 30 (higher low), 5 bars apart -> +1 @9
# high @11 vs @4: price 11 > 10 and RSI 70 > 60: no divergence -> 0 @13
# low @13 vs @7: price 10 > 7.5, a higher low: no divergence -> 0 @15
# high @14 vs @11: price 11.5 > 11, RSI 65 < 70 (lower high), 3 bars apart -> -1 @16
# First RSI at bar 2, so the first pivot can be bar 2, confirmed at bar 4: NaN before bar 4.
EXPECTED = np.array([NAN, NAN, NAN, NAN, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, -1])


def test_hand_computed_table() -> None:
    out = rsi_divergence(CLOSE, RSI, pivot=2, lookback=10)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, EXPECTED)


def test_lookback_limits_the_distance_between_pivots() -> None:
    out = rsi_divergence(CLOSE, RSI, pivot=2, lookback=4)  # lows 5 apart, highs 3 apart
    expected = EXPECTED.copy()
    expected[9] = 0.0
    np.testing.assert_array_equal(out, expected)


def test_rsi_must_diverge() -> None:
    same_direction = RSI.copy()
    same_direction[7] = 25.0  # RSI lower low with the price: no bullish divergence
    same_direction[14] = 75.0  # RSI higher high with the price: no bearish divergence
    out = rsi_divergence(CLOSE, same_direction, pivot=2, lookback=10)
    np.testing.assert_array_equal(out[4:], 0.0)


def test_flat_bottom_gives_one_pivot_at_its_first_bar() -> None:
    close = np.array([5, 4, 3, 3, 4, 5, 4, 2, 2, 3, 4])
    values = np.array([40, 35, 30, 31, 45, 55, 45, 35, 34, 40, 50.0])
    # pivot=1: lows @2 (3, first of the flat pair) and @7 (2): lower low, RSI 35 > 30 -> +1 @8
    out = rsi_divergence(close, values, pivot=1, lookback=10)
    np.testing.assert_array_equal(out[:2], NAN)  # pivot 1 needs a bar each side
    np.testing.assert_array_equal(np.flatnonzero(out[2:]) + 2, [8])
    assert out[8] == 1.0


def test_no_look_ahead_on_real_data(spx: pd.DataFrame) -> None:
    close = spx["close"].to_numpy()
    full = rsi_divergence(close, rsi(close))
    assert np.count_nonzero(full == 1.0) >= 5 and np.count_nonzero(full == -1.0) >= 5
    rng = np.random.default_rng(7)
    signal_bars = np.flatnonzero(np.nan_to_num(full) != 0)
    cuts = [*rng.choice(signal_bars, 5, replace=False), *rng.integers(50, close.size - 1, 5)]
    for t in cuts:
        truncated = rsi_divergence(close[: t + 1], rsi(close[: t + 1]))
        np.testing.assert_array_equal(truncated, full[: t + 1])
        altered = close.copy()
        altered[t + 1 :] = close[t] * rng.uniform(0.5, 1.5, close.size - t - 1)
        changed = rsi_divergence(altered, rsi(altered))
        np.testing.assert_array_equal(changed[: t + 1], full[: t + 1])


def test_signal_sits_on_the_confirmation_bar(spx: pd.DataFrame) -> None:
    close = spx["close"].to_numpy()
    out = rsi_divergence(close, rsi(close), pivot=5)
    for t in np.flatnonzero(np.nan_to_num(out) == 1.0):
        window = close[t - 10 : t + 1]  # the pivot is bar t-5: lowest of its 11-bar window
        assert close[t - 5] == window.min()
    for t in np.flatnonzero(np.nan_to_num(out) == -1.0):
        assert close[t - 5] == close[t - 10 : t + 1].max()


@pytest.mark.parametrize(("pivot", "lookback"), [(0, 60), (5, 1), (2.5, 60)])
def test_bad_parameters(pivot: float, lookback: int) -> None:
    with pytest.raises(IndicatorParamError):
        rsi_divergence(CLOSE, RSI, pivot=pivot, lookback=lookback)


@settings(max_examples=30, deadline=None)
@given(
    steps=st.lists(st.floats(-2, 2, allow_nan=False), min_size=30, max_size=120),
    pivot=st.integers(1, 4),
)
def test_truncation_never_changes_past_signals(steps: list[float], pivot: int) -> None:
    close = 100 + np.cumsum(np.round(steps, 1))  # rounding makes ties (flat pivots) common
    full = rsi_divergence(close, rsi(close, 5), pivot=pivot, lookback=30)
    for t in range(close.size):
        part = rsi_divergence(close[: t + 1], rsi(close[: t + 1], 5), pivot=pivot, lookback=30)
        np.testing.assert_array_equal(part, full[: t + 1])
