"""Optuna tuning: objectives, sampling of the typed space, pruning, storage and studies."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import optuna
import pandas as pd
import pytest

from tradepit.backtest.event import BacktestConfig
from tradepit.backtest.metrics import Metrics
from tradepit.backtest.objectives import ObjectiveSpec, composite_score, objective_value
from tradepit.backtest.optimize import (
    default_storage_url,
    optimize,
    redact,
    search_space,
    storage_for,
)
from tradepit.backtest.vector import run_vector
from tradepit.domain.errors import ConfigError, StrategyError
from tradepit.indicators import IndicatorParamError
from tradepit.market.bundled import bundled_asset, load_bundled
from tradepit.strategies import build_params, get_strategy
from tradepit.strategies.trend import SmaCross

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return load_bundled("SPX").loc["2009-01-01":"2014-12-31"]


def metrics(**values) -> Metrics:
    base = dict.fromkeys(f.name for f in dataclasses.fields(Metrics))
    base.update(start=None, end=None, trades=10, max_drawdown_duration_bars=0)
    for name in base:
        if base[name] is None and name not in ("start", "end"):
            base[name] = 0.0
    base.update(values)
    return Metrics(**base)


def test_objectives_follow_their_documented_formulas():
    m = metrics(sharpe=1.2, return_pct=50.0, win_rate=0.6, max_drawdown_pct=-20.0)
    assert objective_value(m, "sharpe") == 1.2
    assert objective_value(m, "pnl") == 50.0
    expected = 1.2 + 50.0 / 100 + 0.6 - 0.5 * 20.0 / 100
    assert composite_score(m, 0.5) == pytest.approx(expected)
    assert objective_value(m, "composite", 2.0) == pytest.approx(expected + 0.1 - 0.4)
    deeper = dataclasses.replace(m, max_drawdown_pct=-40.0)
    assert composite_score(deeper, 0.5) < composite_score(m, 0.5)
    with pytest.raises(ValueError, match="objective"):
        ObjectiveSpec("calmar")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ObjectiveSpec(mdd_weight=-1)


def test_search_space_holds_fixed_params_and_refuses_unknown_ones():
    strategy = get_strategy("macd_rsi")
    names = {r.name for r in search_space(strategy)}
    assert {"fast", "slow", "signal", "stop_pct"} <= names
    assert "allow_short" not in names  # booleans are not ranges
    assert "fast" not in {r.name for r in search_space(strategy, {"fast": 8})}
    with pytest.raises(StrategyError, match="nope"):
        search_space(strategy, {"nope": 1})


def test_best_trial_is_reproducible_and_its_score_is_the_vector_backtests(spx):
    strategy = get_strategy("sma_cross")
    spec = ObjectiveSpec("composite", mdd_weight=0.5, min_trades=3)
    first = optimize(strategy, spx, "SPX", trials=25, spec=spec, seed=7)
    again = optimize(strategy, spx, "SPX", trials=25, spec=spec, seed=7)
    assert first.best_params == again.best_params and first.best_value == again.best_value
    params = build_params(strategy, first.best_params)
    rerun = run_vector(strategy, spx, "SPX", params).metrics
    assert first.best_value == pytest.approx(composite_score(rerun, 0.5))
    assert first.best_metrics["trades"] == rerun.trades >= 3
    complete = [t for t in first.trials if t.state == "complete"]
    assert first.best_value == max(t.value for t in complete)
    ranges = {r.name: r for r in search_space(strategy)}
    for t in first.trials:
        for name, value in t.params.items():
            assert ranges[name].low <= value <= ranges[name].high


def test_invalid_combinations_and_thin_trials_are_pruned_never_best(spx):
    strategy = get_strategy("sma_cross")
    result = optimize(strategy, spx, "SPX", trials=30, spec=ObjectiveSpec(min_trades=8), seed=3)
    by_reason: dict[str | None, list] = {}
    for t in result.trials:
        by_reason.setdefault(t.pruned, []).append(t)
    assert by_reason.get("invalid_params"), "TPE on fast 2..100 / slow 3..300 hits fast >= slow"
    for t in by_reason["invalid_params"]:
        assert t.state == "pruned" and t.params["fast"] >= t.params["slow"]
    for t in by_reason.get("min_trades", []):
        assert t.state == "pruned" and t.metrics["trades"] < 8
    for t in by_reason[None]:
        assert t.state == "complete" and t.metrics["trades"] >= 8
    assert result.best_metrics["trades"] >= 8
    assert result.counts()["complete"] + result.counts()["pruned"] == 30


class _OddFastRefused(SmaCross):
    """sma_cross whose indicator refuses an odd fast length: a constraint the params model
    does not state."""

    def compute(self, bars, params):
        if params.fast % 2:
            raise IndicatorParamError(f"fast must be even, not {params.fast}")
        return super().compute(bars, params)


def test_an_indicator_refusal_is_pruned_not_a_crash(spx):
    result = optimize(
        _OddFastRefused(), spx, "SPX", trials=12, seed=1, spec=ObjectiveSpec(min_trades=0)
    )
    refused = [t for t in result.trials if t.pruned == "invalid_params"]
    assert refused and all(t.params["fast"] % 2 for t in refused)
    assert result.best_params["fast"] % 2 == 0


@pytest.mark.parametrize(
    ("name", "fixed", "message"),
    [
        ("sma_cross", {"fast": "200"}, "bad parameters for sma_cross: fast: Input should be less"),
        ("sma_cross", {"fast": "abc"}, "bad parameters for sma_cross: fast: Input should be a "),
        ("supertrend", {"multiplier": "50"}, "bad parameters for supertrend: multiplier: "),
        ("macd_rsi", {"fast": 40, "slow": 20}, "macd_rsi: params: fast must be shorter than slow"),
        ("sma_cross", {"fast": 10, "slow": 50}, "every tunable parameter of sma_cross is fixed"),
    ],
)
def test_fixed_values_no_trial_can_use_are_refused_before_tuning(spx, name, fixed, message):
    """They ran every trial, then said no trial reached min_trades."""
    storage = optuna.storages.InMemoryStorage()
    with pytest.raises(StrategyError, match=message):
        optimize(get_strategy(name), spx, "SPX", trials=3, fixed=fixed, storage=storage)
    assert storage.get_all_studies() == []


def test_a_fixed_value_valid_with_some_free_values_is_tuned(spx):
    """fast=50 fails with the default slow (30) but not with slow up to 300."""
    result = optimize(
        get_strategy("sma_cross"), spx, "SPX", trials=8, seed=1, fixed={"fast": 50},
        spec=ObjectiveSpec(min_trades=1),
    )  # fmt: skip
    assert result.best_params["fast"] == 50 and result.best_params["slow"] > 50


def test_no_trial_with_enough_trades_means_no_best(spx):
    result = optimize(
        get_strategy("sma_cross"),
        spx,
        "SPX",
        trials=5,
        seed=1,
        spec=ObjectiveSpec(min_trades=10**6),
    )
    assert result.best_params is None and result.best_value is None
    assert result.counts()["complete"] == 0


def test_fixed_parameters_are_held(spx):
    result = optimize(
        get_strategy("sma_cross"), spx, "SPX", trials=8, seed=2,
        fixed={"allow_short": "false"}, spec=ObjectiveSpec(min_trades=1),
    )  # fmt: skip
    assert result.best_params["allow_short"] is False
    assert all("allow_short" not in t.params for t in result.trials)
    assert all(t.worker for t in result.trials)


def test_progress_reports_each_trial(spx):
    seen = []
    optimize(
        get_strategy("supertrend"),
        spx,
        "SPX",
        trials=4,
        seed=0,
        progress=lambda d, n: seen.append((d, n)),
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_a_study_is_joined_and_guarded(spx):
    storage = optuna.storages.InMemoryStorage()
    strategy = get_strategy("sma_cross")
    spec = ObjectiveSpec(min_trades=1)
    run = dict(spec=spec, storage=storage, study_name="s")
    first = optimize(strategy, spx, "SPX", trials=4, seed=1, **run)
    second = optimize(strategy, spx, "SPX", trials=3, seed=2, **run)
    assert (first.ran, second.ran) == (4, 3)
    assert len(second.trials) == 7
    assert second.best_value >= first.best_value
    with pytest.raises(ConfigError, match="objective"):
        optimize(
            strategy,
            spx,
            "SPX",
            trials=1,
            spec=ObjectiveSpec("pnl"),
            storage=storage,
            study_name="s",
        )
    with pytest.raises(ConfigError, match="strategy"):
        optimize(get_strategy("supertrend"), spx, "SPX", trials=1, storage=storage, study_name="s")
    with pytest.raises(ConfigError, match="data"):
        optimize(
            strategy, spx.iloc[:-5], "SPX", trials=1, spec=spec, storage=storage, study_name="s"
        )
    with pytest.raises(ConfigError, match="min_trades"):
        optimize(
            strategy,
            spx,
            "SPX",
            trials=1,
            spec=ObjectiveSpec(min_trades=2),
            storage=storage,
            study_name="s",
        )


def test_the_default_sqlite_storage_keeps_the_study(tmp_path: Path, spx):
    url = default_storage_url(tmp_path / "home")
    assert url == f"sqlite:///{tmp_path / 'home' / 'optuna.db'}"
    result = optimize(get_strategy("sma_cross"), spx, "SPX", trials=3, storage=url, seed=1)
    assert result.study_name == "sma_cross-SPX-sharpe" and result.storage == url
    loaded = optuna.load_study(study_name=result.study_name, storage=url)
    assert len(loaded.trials) == 3 and loaded.user_attrs["strategy"] == "sma_cross"


def test_storage_urls_are_checked_and_redacted():
    assert redact("postgresql://u:secret@db/x") == "postgresql://u:***@db/x"
    assert redact(None) == "memory"
    assert isinstance(storage_for(None), optuna.storages.InMemoryStorage)


def test_strategies_without_ranges_cannot_be_tuned(spx):
    with pytest.raises(StrategyError, match="no tunable"):
        optimize(get_strategy("buy_and_hold"), spx, "SPX", trials=2)


def test_asset_and_costs_reach_the_backtest(spx):
    strategy = get_strategy("sma_cross")
    spec = ObjectiveSpec("pnl", min_trades=1)
    free = optimize(strategy, spx, "SPX", trials=6, seed=5, spec=spec, asset=bundled_asset("SPX"))
    costly = optimize(
        strategy, spx, "SPX", trials=6, seed=5, spec=spec,
        config=BacktestConfig(commission_pct=0.01), asset=bundled_asset("SPX"),
    )  # fmt: skip
    pairs = zip(free.trials, costly.trials, strict=True)
    assert all(a.params == b.params for a, b in pairs)  # same seed: same random start-up samples
    assert costly.trials[0].metrics["return_pct"] < free.trials[0].metrics["return_pct"]
    assert math.isfinite(costly.best_value)


@pytest.mark.parametrize(
    ("changed", "key"),
    [
        ({"config": BacktestConfig(cash=50_000)}, "cash"),
        ({"config": BacktestConfig(commission_pct=0.01)}, "commission"),
        ({"config": BacktestConfig(commission_per_share=0.005)}, "commission_per_share"),
        ({"config": BacktestConfig(slippage_bps=5)}, "slippage_bps"),
        ({"config": BacktestConfig(fractional=True)}, "fractional"),
        ({"asset": bundled_asset("SPX").model_copy(update={"calendar": "24/7"})}, "calendar"),
    ],
)
def test_joining_a_study_with_other_cash_or_costs_is_refused(spx, changed, key):
    """A second run with other costs joined the study and reported the first run's best."""
    storage = optuna.storages.InMemoryStorage()
    run = dict(spec=ObjectiveSpec(min_trades=1), storage=storage, study_name="s", trials=2)
    strategy = get_strategy("sma_cross")
    optimize(strategy, spx, "SPX", seed=1, asset=bundled_asset("SPX"), **run)
    with pytest.raises(ConfigError, match=f"{key}: study has .*use another study name"):
        optimize(strategy, spx, "SPX", seed=2, **{"asset": bundled_asset("SPX"), **changed}, **run)
    assert len(optuna.load_study(study_name="s", storage=storage).trials) == 2


@pytest.mark.parametrize(
    ("name", "invalid"),
    [
        ("ema_rsi", lambda p: p["fast"] >= p["slow"]),
        ("rsi_divergence", lambda p: p["lookback"] <= p["pivot"]),
    ],
)
def test_samples_a_strategy_cannot_trade_are_pruned_as_invalid(spx, name, invalid):
    """Like sma_cross's fast >= slow: the params model refuses them, the trial is pruned."""
    fixed = {"lookback": 10} if name == "rsi_divergence" else {}  # pivot 2..20: half invalid
    result = optimize(
        get_strategy(name), spx, "SPX", trials=25, seed=4, fixed=fixed,
        spec=ObjectiveSpec(min_trades=0),
    )  # fmt: skip
    params = [({**fixed, **t.params}, t.pruned) for t in result.trials]
    assert any(invalid(p) for p, _ in params), "the sampler reached the invalid region"
    for p, pruned in params:
        assert (pruned == "invalid_params") == invalid(p)
    assert not invalid(result.best_params)
