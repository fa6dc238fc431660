"""Walk-forward: window geometry, in-sample vs out-of-sample scoring, the overfitting rule."""

from __future__ import annotations

import itertools

import numpy as np
import optuna
import pandas as pd
import pytest

from tradepit.backtest.objectives import ObjectiveSpec
from tradepit.backtest.vector import run_vector
from tradepit.backtest.walkforward import flag_window, judge, make_windows, walk_forward
from tradepit.market.bundled import bundled_asset, load_bundled
from tradepit.strategies import build_params, get_strategy

optuna.logging.set_verbosity(optuna.logging.WARNING)

TRAIN, TEST = 300, 120


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return load_bundled("SPX").loc["2005-01-01":"2010-12-31"]


@pytest.fixture(scope="module")
def rolling(spx):
    return walk_forward(
        get_strategy("sma_cross"), spx, "SPX", train=TRAIN, test=TEST, trials=8, seed=4,
        spec=ObjectiveSpec(min_trades=2), asset=bundled_asset("SPX"),
    )  # fmt: skip


def test_rolling_windows_tile_the_data_after_the_first_train_window():
    windows = make_windows(1000, 300, 100)
    assert len(windows) == 7  # (1000 - 300) // 100
    for a, b in itertools.pairwise(windows):
        assert b.test_start == a.test_end and b.train_start == a.train_start + 100
    assert all(w.test_start - w.train_start == 300 for w in windows)
    assert windows[-1].test_end <= 1000


def test_anchored_windows_grow_from_the_first_bar():
    windows = make_windows(1000, 300, 100, anchored=True)
    assert [w.train_start for w in windows] == [0] * 7
    assert [w.test_start for w in windows] == [300 + 100 * i for i in range(7)]


def test_window_arguments_are_checked():
    with pytest.raises(ValueError, match="overlap"):
        make_windows(1000, 300, 100, step=50)
    with pytest.raises(ValueError, match="too few"):
        make_windows(350, 300, 100)
    assert len(make_windows(1000, 300, 100, step=200)) == 4  # gaps between tests are allowed


def test_each_window_tunes_in_sample_and_trades_only_its_test_bars(spx, rolling):
    strategy = get_strategy("sma_cross")
    assert len(rolling.windows) == (len(spx) - TRAIN) // TEST
    for w in rolling.windows:
        win = w.window
        assert w.train == (spx.index[win.train_start], spx.index[win.test_start - 1])
        assert w.test == (spx.index[win.test_start], spx.index[win.test_end - 1])
        params = build_params(strategy, w.params)
        train_bars = spx.iloc[win.train_start : win.test_start]
        in_sample = run_vector(strategy, train_bars, "SPX", params).metrics
        assert w.is_metrics["sharpe"] == pytest.approx(in_sample.sharpe)
        assert w.is_score == pytest.approx(in_sample.sharpe)
        if w.tuned:
            assert w.is_metrics["trades"] >= 2 and w.trials_counted >= 1


def test_out_of_sample_curve_chains_the_test_windows(spx, rolling):
    equity = rolling.oos_equity
    first, last = rolling.windows[0].window.test_start, rolling.windows[-1].window.test_end
    assert equity.index.equals(spx.index[first:last])
    assert equity.iloc[0] == pytest.approx(10_000.0)
    ends = np.cumprod([1 + w.oos_metrics["return_pct"] / 100 for w in rolling.windows])
    assert equity.iloc[-1] == pytest.approx(10_000.0 * ends[-1])
    assert rolling.oos_metrics["trades"] == sum(w.oos_metrics["trades"] for w in rolling.windows)
    assert rolling.oos_metrics["return_pct"] == pytest.approx(100 * (ends[-1] - 1))


def test_later_bars_never_change_an_earlier_window(spx, rolling):
    """No look-ahead: cutting the data after window 2's test leaves windows 0..2 as they were."""
    cut = rolling.windows[2].window.test_end
    shorter = walk_forward(
        get_strategy("sma_cross"), spx.iloc[:cut], "SPX", train=TRAIN, test=TEST, trials=8,
        seed=4, spec=ObjectiveSpec(min_trades=2), asset=bundled_asset("SPX"),
    )  # fmt: skip
    assert len(shorter.windows) == 3
    for a, b in zip(shorter.windows, rolling.windows, strict=False):
        assert a.to_dict() == b.to_dict()


def test_the_overfitting_rule():
    assert flag_window(1.0, 0.6, 0.5) == (0.6, False)
    assert flag_window(1.0, 0.4, 0.5) == (0.4, True)
    assert flag_window(1.0, -0.2, 0.5) == (-0.2, True)
    assert flag_window(-0.5, -1.0, 0.5) == (None, False)  # nothing in sample to lose
    assert judge(1.0, 0.7, [False, True, False], 0.5) == (0.7, "ok")
    assert judge(1.0, 0.3, [False, False], 0.5) == (0.3, "overfit")
    assert judge(1.0, 0.9, [True, True, False], 0.5) == (0.9, "overfit")  # most windows flagged
    assert judge(-0.1, 0.2, [False], 0.5)[1] == "no_edge"


def test_result_flags_agree_with_the_rule(rolling):
    for w in rolling.windows:
        assert (w.efficiency, w.overfit) == flag_window(
            w.is_metrics["sharpe"], w.oos_metrics["sharpe"], 0.5
        )
    mean_is = np.mean([w.is_metrics["sharpe"] for w in rolling.windows])
    mean_oos = np.mean([w.oos_metrics["sharpe"] for w in rolling.windows])
    expected = judge(mean_is, mean_oos, [w.overfit for w in rolling.windows], 0.5)
    assert (rolling.efficiency, rolling.verdict) == expected
    payload = rolling.to_dict()
    assert payload["verdict"] == rolling.verdict and len(payload["windows"]) == len(rolling.windows)


def test_anchored_run_and_untuned_windows(spx):
    result = walk_forward(
        get_strategy("supertrend"), spx, "SPX", train=TRAIN, test=TEST * 3, anchored=True,
        trials=3, seed=1, spec=ObjectiveSpec(min_trades=10**6),
    )  # fmt: skip
    assert all(w.window.train_start == 0 for w in result.windows)
    assert all(not w.tuned and w.trials_counted == 0 for w in result.windows)
    defaults = get_strategy("supertrend").Params().model_dump()
    assert all(w.params == defaults for w in result.windows)
