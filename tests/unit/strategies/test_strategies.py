import numpy as np
import pandas as pd
import pytest

from tradepit.domain.errors import StrategyError
from tradepit.market.bundled import load_bundled
from tradepit.strategies import (
    STRATEGIES,
    build_params,
    get_strategy,
    param_space,
    parse_param_pairs,
)


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return load_bundled("SPX").iloc[:1500]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_signals_are_causal(name, spx):
    """The row for bar t never changes when later bars are added: no look-ahead."""
    strategy = get_strategy(name)
    full = strategy.signals(spx)
    for cut in (200, 611, 1000, 1499):
        partial = strategy.signals(spx.iloc[: cut + 1])
        pd.testing.assert_frame_equal(partial, full.iloc[: cut + 1], check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_signal_frame_shape_and_bounds(name, spx):
    frame = get_strategy(name).signals(spx)
    assert list(frame.columns) == ["target", "stop", "confidence"]
    assert frame.index.equals(spx.index)
    assert frame["target"].between(-1, 1).all()
    assert frame["confidence"].between(0, 1).all()
    if name != "buy_and_hold":
        assert (frame["target"].diff().abs() > 0).sum() >= 2, "strategy never trades on 6 years"


def _bars(closes):
    idx = pd.date_range("2020-01-01", periods=len(closes), freq="D", tz="UTC")
    c = np.asarray(closes, float)
    return pd.DataFrame(
        {"open": c, "high": c + 1, "low": c - 1, "close": c, "volume": 1e6}, index=idx
    )


def test_sma_cross_flat_until_first_cross_then_reverses():
    # fast=2, slow=3. closes: 10,9,8,9,11,12,10,8,7
    # sma2: -, 9.5, 8.5, 8.5, 10, 11.5, 11, 9, 7.5 ; sma3: -, -, 9, 8.67, 9.33, 10.67, 11, 10, 8.33
    # fast-slow: bar2 -0.5, bar3 -0.17, bar4 +0.67 (cross up), bar5 +0.83, bar6 0,
    # bar7 -1 (cross down)
    s = get_strategy("sma_cross").signals(
        _bars([10, 9, 8, 9, 11, 12, 10, 8, 7]),
        build_params(get_strategy("sma_cross"), {"fast": 2, "slow": 3}),
    )
    assert s["target"].tolist() == [0, 0, 0, 0, 1, 1, 1, -1, -1]


def test_sma_cross_long_only_exits_instead_of_shorting():
    strat = get_strategy("sma_cross")
    params = build_params(strat, {"fast": 2, "slow": 3, "allow_short": "false"})
    s = strat.signals(_bars([10, 9, 8, 9, 11, 12, 10, 8, 7]), params)
    assert s["target"].tolist() == [0, 0, 0, 0, 1, 1, 1, 0, 0]


def test_macd_rsi_stop_is_two_percent_from_close(spx):
    s = get_strategy("macd_rsi").signals(spx)
    longs = s["target"] > 0
    np.testing.assert_allclose(s.loc[longs, "stop"], spx.loc[longs, "close"] * 0.98)
    shorts = s["target"] < 0
    np.testing.assert_allclose(s.loc[shorts, "stop"], spx.loc[shorts, "close"] * 1.02)


def test_supertrend_stop_is_on_the_right_side(spx):
    s = get_strategy("supertrend").signals(spx)
    longs, shorts = s["target"] > 0, s["target"] < 0
    assert (s.loc[longs, "stop"] <= spx.loc[longs, "close"]).all()
    assert (s.loc[shorts, "stop"] >= spx.loc[shorts, "close"]).all()


def test_ensemble_votes_with_threshold(spx):
    strat = get_strategy("ensemble")
    only_supertrend = build_params(strat, {"w_macd_rsi": 0, "w_ema_rsi": 0, "w_macd_cross": 0})
    np.testing.assert_array_equal(
        strat.signals(spx, only_supertrend)["target"],
        get_strategy("supertrend").signals(spx)["target"],
    )


def test_unknown_strategy_and_bad_params_are_typed_errors():
    with pytest.raises(StrategyError, match="built-in: sma_cross"):
        get_strategy("moon")
    with pytest.raises(StrategyError, match="fast must be shorter"):
        build_params(get_strategy("sma_cross"), {"fast": 50, "slow": 20})
    with pytest.raises(StrategyError, match="slow"):
        build_params(get_strategy("sma_cross"), {"slow": "abc"})
    with pytest.raises(StrategyError, match="name=value"):
        parse_param_pairs(["fast"])


def test_param_space_reads_ranges():
    space = {p.name: p for p in param_space(get_strategy("supertrend").Params)}
    assert space["length"].low == 3 and space["length"].high == 50 and space["length"].kind is int
    assert space["multiplier"].default == 3.0
    assert "allow_short" not in space


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("ema_rsi", {"fast": 60, "slow": 20}, "fast must be shorter than slow"),
        ("ema_rsi", {"fast": 50, "slow": 50}, "fast must be shorter than slow"),
        ("rsi_divergence", {"pivot": 20, "lookback": 10}, "lookback must be longer than pivot"),
        ("rsi_divergence", {"pivot": 10, "lookback": 10}, "lookback must be longer than pivot"),
    ],
)
def test_combinations_a_strategy_cannot_trade_are_refused(name, params, message):
    """ema_rsi with fast >= slow reversed its trend rule; rsi_divergence with lookback <=
    pivot can never pair two pivots, so it gave 0 trades without a word."""
    with pytest.raises(StrategyError, match=f"bad parameters for {name}: params: {message}"):
        build_params(get_strategy(name), params)


def test_rsi_divergence_needs_pivots_more_than_pivot_bars_apart():
    """The rule behind `lookback > pivot`: a pivot low is the lowest of the `pivot` bars on
    each side, so a lower low within `pivot` bars of it is no pivot. At lookback = pivot the
    scan finds nothing on any series; one bar more, it finds divergences."""
    from tradepit import indicators

    close = load_bundled("SPX")["close"].to_numpy()
    rsi = indicators.rsi(close, 14)
    assert not np.nan_to_num(indicators.rsi_divergence(close, rsi, 3, 3)).any()
    assert np.nan_to_num(indicators.rsi_divergence(close, rsi, 3, 10)).any()
