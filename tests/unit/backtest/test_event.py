"""The event backtest: strategy signals through the ReplayClock and the paper broker."""

import math

import numpy as np
import pandas as pd
import pytest

from tradepit.backtest.event import BacktestConfig, run_backtest
from tradepit.market.bundled import bundled_asset, load_bundled
from tradepit.strategies import build_params, get_strategy


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return load_bundled("SPX").loc["2008-01-01":"2011-12-31"]


def frame(closes, opens=None):
    idx = pd.date_range("2021-01-04", periods=len(closes), freq="B", tz="UTC")
    c = np.asarray(closes, float)
    o = np.asarray(opens if opens is not None else closes, float)
    return pd.DataFrame(
        {
            "open": o,
            "high": np.maximum(o, c) + 0.5,
            "low": np.minimum(o, c) - 0.5,
            "close": c,
            "volume": 1e6,
        },
        index=idx,
    )


def test_buy_and_hold_enters_at_the_next_open_with_whole_shares(spx):
    result = run_backtest(get_strategy("buy_and_hold"), spx, "SPX", asset=bundled_asset("SPX"))
    (trade,) = result.trades
    qty = math.floor(10_000 / spx["close"].iloc[0])
    assert trade.qty == qty
    assert trade.entry_time == spx.index[1]
    assert trade.entry_price == pytest.approx(spx["open"].iloc[1])
    assert trade.exit_price == pytest.approx(spx["close"].iloc[-1])
    expected_end = 10_000 + qty * (spx["close"].iloc[-1] - spx["open"].iloc[1])
    assert result.equity.iloc[-1] == pytest.approx(expected_end)
    assert result.metrics.return_pct == pytest.approx(100 * (expected_end / 10_000 - 1))


def test_reversal_closes_and_reopens_at_the_same_open():
    # sma(2) vs sma(3): cross up decided at bar 4's close, cross down at bar 7's close.
    closes = [10, 9, 8, 9, 11, 12, 10, 8, 7, 7]
    opens = [10, 10, 9, 8, 9, 11.5, 12, 10, 8, 7]
    strat = get_strategy("sma_cross")
    bars = frame(closes, opens)
    result = run_backtest(
        strat, bars, "X", build_params(strat, {"fast": 2, "slow": 3}), BacktestConfig(cash=1000)
    )
    long, short = result.trades
    assert (long.side, long.entry_time, long.entry_price) == ("long", bars.index[5], 11.5)
    assert long.qty == math.floor(1000 / 11)  # sized on the signal bar's close
    assert (long.exit_time, long.exit_price) == (bars.index[8], 8.0)
    assert (short.side, short.entry_time, short.entry_price) == ("short", bars.index[8], 8.0)
    assert short.exit_price == 7.0  # closed at the last close
    assert long.pnl == pytest.approx(90 * (8.0 - 11.5))


def test_no_order_fills_before_the_bar_after_its_signal(spx):
    result = run_backtest(get_strategy("supertrend"), spx, "SPX")
    signals = result.signals["target"]
    changes = signals.index[signals.diff().fillna(signals).ne(0)]
    for fill in result.fills:
        decided = changes[changes < pd.Timestamp(fill.timestamp)]
        assert len(decided), f"fill at {fill.timestamp} before any signal"


def test_future_bars_do_not_change_past_trades(spx):
    strat = get_strategy("macd_rsi")
    full = run_backtest(strat, spx, "SPX")
    cut = spx.index[600]
    altered = spx.copy()
    altered.loc[altered.index > cut, ["open", "high", "low", "close"]] *= 1.3
    other = run_backtest(strat, altered, "SPX")
    before = [t for t in full.trades if t.exit_time < cut]
    assert before and before == [t for t in other.trades if t.exit_time < cut]


def test_costs_reduce_returns_by_the_fees_paid(spx):
    strat = get_strategy("ema_rsi")
    free = run_backtest(strat, spx, "SPX")
    costly = run_backtest(
        strat, spx, "SPX", config=BacktestConfig(commission_pct=0.001, slippage_bps=5)
    )
    assert costly.metrics.fees > 0
    assert costly.metrics.return_pct < free.metrics.return_pct
    assert sum(t.commission for t in costly.trades) == pytest.approx(costly.metrics.fees)


def test_macd_rsi_stops_fill_at_the_stop_or_a_gap(spx):
    result = run_backtest(get_strategy("macd_rsi"), spx, "SPX")
    stop_fills = [f for f in result.fills if f.client_order_id.endswith("-sl")]
    assert stop_fills, "no stop-loss ever triggered in four volatile years"
    for f in stop_fills:
        bar = spx.loc[pd.Timestamp(f.timestamp)]
        assert bar["low"] - 1e-9 <= float(f.price) <= bar["high"] + 1e-9


def test_equity_curve_covers_every_bar_and_exposure_is_bounded(spx):
    result = run_backtest(get_strategy("sma_cross"), spx, "SPX")
    assert result.equity.index.equals(spx.index)
    assert 0 < result.metrics.exposure_pct <= 100
    assert result.metrics.trades == len(result.trades)


@pytest.mark.parametrize(
    "costs",
    [
        {"commission_pct": -0.001},
        {"commission_pct": 1.0},  # the fee would be the whole trade
        {"commission_pct": float("nan")},
        {"slippage_bps": -1.0},
        {"slippage_bps": float("inf")},
        {"commission_per_share": -0.01},
        {"cash": 0.0},
        {"size": 0.0},
    ],
)
def test_the_config_refuses_costs_no_market_charges(costs):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        BacktestConfig(**costs)


def test_the_cost_bounds_are_inclusive_and_replace_revalidates():
    from dataclasses import replace

    from pydantic import ValidationError

    from tradepit.backtest.event import MAX_COMMISSION_PCT, MAX_SLIPPAGE_BPS

    config = BacktestConfig(commission_pct=MAX_COMMISSION_PCT, slippage_bps=MAX_SLIPPAGE_BPS)
    assert replace(config, cash=5.0).cash == 5.0
    with pytest.raises(ValidationError):
        replace(config, cash=-5.0)
