"""Sweeps: every row equals `run_vector` for its parameter set (fast SMA path and the
generic path), grids skip invalid combinations, bad input fails loudly."""

from __future__ import annotations

import math
from functools import cache

import pandas as pd
import pytest

from tradepit.backtest.event import BacktestConfig
from tradepit.backtest.sweep import METRIC_COLUMNS, expand_grid, sweep
from tradepit.backtest.vector import run_vector
from tradepit.domain.errors import OrderRejectedError, StrategyError
from tradepit.domain.models import Asset
from tradepit.market.bundled import load_bundled
from tradepit.strategies import STRATEGIES
from tradepit.strategies.trend import SmaCross

COSTS = BacktestConfig(commission_per_share=0.005, commission_pct=0.001, slippage_bps=5)


@cache
def spx() -> pd.DataFrame:
    return load_bundled("SPX").iloc[:2000]


def assert_rows_match_run_vector(frame, strategy, bars, config, sizing="close", sample=None):
    rows = frame if sample is None else frame.iloc[sample]
    names = list(strategy.Params.model_fields)
    for _, row in rows.iterrows():
        params = strategy.Params(**{n: row[n] for n in names})
        metrics = run_vector(strategy, bars, "SPX", params, config, sizing=sizing).metrics
        for column in METRIC_COLUMNS:
            want, got = getattr(metrics, column), row[column]
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12) or (
                math.isinf(want) and got == want
            ), (params, column)


def test_sma_grid_rows_equal_run_vector():
    strategy = STRATEGIES["sma_cross"]
    grid = {"fast": [5, 10, 20], "slow": [10, 30, 50], "allow_short": [True, False]}
    frame = sweep(strategy, spx(), grid=grid, config=COSTS)
    assert len(frame) == 2 * 7  # fast < slow
    assert list(frame.columns) == ["fast", "slow", "allow_short", *METRIC_COLUMNS]
    assert frame["trades"].dtype == "int64" and (frame["trades"] > 0).all()
    assert_rows_match_run_vector(frame, strategy, spx(), COSTS)


def test_the_classic_4851_pair_grid():
    strategy = STRATEGIES["sma_cross"]
    grid = {"fast": range(2, 101), "slow": range(2, 101)}
    frame = sweep(strategy, spx(), grid=grid)
    assert len(frame) == 4851
    assert frame["return_pct"].nunique() > 1000
    assert_rows_match_run_vector(frame, strategy, spx(), BacktestConfig(), sample=[0, 777, 4850])


class _SlowSmaCross(SmaCross):
    """Same signals, but not the exact SmaCross type: takes the generic path."""


def test_fast_sma_path_equals_the_generic_path():
    sets = [{"fast": f, "slow": s} for f, s in [(3, 7), (10, 30), (20, 60)]]
    sets.append({"fast": 12, "slow": 26, "allow_short": False})
    for sizing in ("close", "fill"):
        fast = sweep(STRATEGIES["sma_cross"], spx(), sets, config=COSTS, sizing=sizing)
        generic = sweep(_SlowSmaCross(), spx(), sets, config=COSTS, sizing=sizing)
        pd.testing.assert_frame_equal(fast, generic, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("sizing", ["close", "fill"])
def test_generic_rows_with_stops_equal_run_vector(sizing):
    strategy = STRATEGIES["supertrend"]
    sets = [{"length": 7, "multiplier": 2.0}, {"length": 10}, {"length": 14, "allow_short": False}]
    frame = sweep(strategy, spx(), sets, config=COSTS, sizing=sizing, chunk=2)
    assert len(frame) == 3
    assert_rows_match_run_vector(frame, strategy, spx(), COSTS, sizing=sizing)


def test_grid_skips_invalid_combinations():
    accepted = expand_grid(STRATEGIES["sma_cross"], {"fast": [5, 40], "slow": [10, 30]})
    assert [(p.fast, p.slow) for p in accepted] == [(5, 10), (5, 30)]


def test_bad_input_fails_loudly():
    strategy = STRATEGIES["sma_cross"]
    with pytest.raises(StrategyError):
        sweep(strategy, spx(), [{"fast": 30, "slow": 10}])
    with pytest.raises(ValueError, match="exactly one"):
        sweep(strategy, spx())
    with pytest.raises(ValueError, match="exactly one"):
        sweep(strategy, spx(), [{}], grid={"fast": [5]})
    with pytest.raises(OrderRejectedError, match="not_shortable"):
        sweep(strategy, spx(), [{}], asset=Asset(symbol="SPX", shortable=False))
    long_only = sweep(
        strategy, spx(), [{"allow_short": False}], asset=Asset(symbol="SPX", shortable=False)
    )
    assert len(long_only) == 1
