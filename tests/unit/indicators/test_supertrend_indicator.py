"""Supertrend: a hand-computed table, invariants on real data, and pandas-ta-classic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepit.indicators import IndicatorParamError, atr, supertrend
from tradepit.indicators._validate import pandas_ta

NAN = np.nan

# 12 bars, high = mid + 1, low = mid - 1, and every previous close inside the current bar's
# range, so every true range is 2 and Wilder ATR(3) is 2 from bar 3 on. With multiplier 1:
# basic upper = mid + 2, basic lower = mid - 2.
MID = np.array([10, 10, 10, 10, 11, 12, 13, 12.5, 11.5, 10.5, 10.5, 11])
CLOSE = np.array([10, 10, 10.5, 10, 11, 12.5, 13.5, 12, 11, 10, 11, 10.5])
# pc = previous close. "!<" reads "is not below".
# bar | basic U/L  | final upper               | final lower                 | dir, line
#  3  | 12 / 8     | 12 (start)                | 8 (start)                   | -1, 12 (start down)
#  4  | 13 / 9     | 13 !< 12, pc 10 !> 12: 12 | 9 > 8: 9                    | 11 !> 12: -1, 12
#  5  | 14 / 10    | 14 !< 12, pc 11 !> 12: 12 | 10 > 9: 10                  | 12.5 > 12: +1, 10
#  6  | 15 / 11    | pc 12.5 > 12: reset 15    | 11 > 10: 11                 | 13.5 !< 11: +1, 11
#  7  | 14.5/10.5  | 14.5 < 15: 14.5           | 10.5 !> 11, pc 13.5 !< 11: 11 | 12 !< 11: +1, 11
#  8  | 13.5/9.5   | 13.5 < 14.5: 13.5         | 9.5 !> 11, pc 12 !< 11: 11  | 11 !< 11 tie: +1, 11
#  9  | 12.5/8.5   | 12.5 < 13.5: 12.5         | 8.5 !> 11, pc 11 !< 11: 11  | 10 < 11: -1, 12.5
# 10  | 12.5/8.5   | 12.5 !< 12.5, pc 10: 12.5 | pc 10 < 11: reset 8.5       | 11 !> 12.5: -1, 12.5
# 11  | 13 / 9     | 13 !< 12.5, pc 11: 12.5   | 9 > 8.5: 9                  | 10.5 !> 12.5: -1,12.5
EXPECTED_DIR = np.array([NAN, NAN, NAN, -1, -1, 1, 1, 1, 1, -1, -1, -1])
EXPECTED_LINE = np.array([NAN, NAN, NAN, 12, 12, 10, 11, 11, 11, 12.5, 12.5, 12.5])


def test_hand_computed_table() -> None:
    high, low = MID + 1, MID - 1
    np.testing.assert_array_equal(atr(high, low, CLOSE, 3)[3:], 2.0)  # premise of the table
    line, direction = supertrend(high, low, CLOSE, length=3, multiplier=1.0)
    np.testing.assert_array_equal(direction, EXPECTED_DIR)
    np.testing.assert_array_equal(line, EXPECTED_LINE)


def test_warmup_and_types(spx: pd.DataFrame) -> None:
    line, direction = supertrend(spx["high"], spx["low"], spx["close"])
    for out in (line, direction):
        assert isinstance(out, np.ndarray)
        assert out.dtype == np.float64
        assert out.shape == (len(spx),)
        assert np.isnan(out[:10]).all()
        assert not np.isnan(out[10:]).any()
    assert set(np.unique(direction[10:])) == {-1.0, 1.0}


def test_invariants_on_real_data(real_bars: pd.DataFrame) -> None:
    h, lo, c = (real_bars[k].to_numpy() for k in ("high", "low", "close"))
    line, direction = supertrend(h, lo, c, length=10, multiplier=3.0)
    up, down = direction == 1.0, direction == -1.0
    # the line is a stop: below close in an up-trend, above it in a down-trend
    assert (c[up] >= line[up]).all()
    assert (c[down] <= line[down]).all()
    # ratchet: with no flip, the line never moves against the trend
    same = (direction[1:] == direction[:-1]) & ~np.isnan(direction[1:])
    steps = np.diff(line)[same]
    assert (steps[up[1:][same]] >= 0).all()
    assert (steps[down[1:][same]] <= 0).all()
    flips = np.count_nonzero(np.diff(direction[10:]))
    assert flips > 20  # the checks above were not vacuous


def test_against_pandas_ta_classic(real_bars: pd.DataFrame) -> None:
    """pandas-ta-classic restarts a newly active band from the basic band; TradingView (and
    we) keep ratcheting both bands. So where the lines differ ours is the tighter stop, and
    the rare direction differences are bars where our tighter band flipped first."""
    h, lo, c = (real_bars[k] for k in ("high", "low", "close"))
    line, direction = supertrend(h, lo, c, length=10, multiplier=3.0)
    ref = pandas_ta().supertrend(h, lo, c, length=10, multiplier=3.0, talib=False)
    ref_line, ref_dir = ref.iloc[:, 0].to_numpy(), ref.iloc[:, 1].to_numpy()
    start = 10 + int(np.flatnonzero(np.diff(direction[10:]))[0]) + 1  # after the first flip
    line, direction, ref_line, ref_dir = (x[start:] for x in (line, direction, ref_line, ref_dir))
    same_dir = direction == ref_dir
    assert same_dir.mean() >= 0.99  # measured: SPX 100 %, IXIC 99.7 %, MSFT 99.8 %
    same_line = np.isclose(line, ref_line, rtol=0, atol=1e-8)
    assert same_line.mean() >= 0.97  # measured: 98.2 % .. 98.9 %
    up, down = same_dir & (direction == 1.0), same_dir & (direction == -1.0)
    assert (line[up] >= ref_line[up] - 1e-8).all()
    assert (line[down] <= ref_line[down] + 1e-8).all()
    # each stretch of differing directions starts with a flip of ours, not of pandas-ta's
    starts = np.flatnonzero(~same_dir[1:] & same_dir[:-1]) + 1
    assert (direction[starts] != direction[starts - 1]).all()
    assert (ref_dir[starts] == ref_dir[starts - 1]).all()


@settings(max_examples=30, deadline=None)
@given(
    steps=st.lists(st.floats(-2, 2, allow_nan=False), min_size=20, max_size=100),
    ranges=st.lists(st.floats(0, 3, allow_nan=False), min_size=100, max_size=100),
)
def test_causal(steps: list[float], ranges: list[float]) -> None:
    """The values at bar t depend on bars up to t only."""
    close = 100 + np.cumsum(steps)
    spread = np.asarray(ranges[: close.size])
    high, low = close + spread, close - spread[::-1]
    full = supertrend(high, low, close, length=5, multiplier=2.0)
    for t in range(close.size):
        part = supertrend(high[: t + 1], low[: t + 1], close[: t + 1], length=5, multiplier=2.0)
        for whole, truncated in zip(full, part, strict=True):
            np.testing.assert_array_equal(truncated, whole[: t + 1])


@pytest.mark.parametrize(("length", "multiplier"), [(0, 3.0), (10, 0.0), (10, float("nan"))])
def test_bad_parameters(length: int, multiplier: float) -> None:
    with pytest.raises(IndicatorParamError):
        supertrend(MID + 1, MID - 1, CLOSE, length=length, multiplier=multiplier)
