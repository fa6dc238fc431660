"""The vector engine's fill, sizing and cost rules on small hand-made series; the expected
figures are worked out from the rules in `tradepit.backtest.vector`'s docstring."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from tradepit.backtest import _kernels as k
from tradepit.backtest.event import BacktestConfig
from tradepit.backtest.metrics import Trade, compute_metrics
from tradepit.backtest.vector import backtest_signals, run_vector
from tradepit.domain.errors import MalformedDataError, OrderRejectedError
from tradepit.domain.models import Asset, Side
from tradepit.strategies import STRATEGIES

FLAT = (100.0, 101.0, 99.0, 100.0)
NAN = math.nan


def make_bars(rows) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(rows), freq="D", tz="UTC")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)
    frame["volume"] = 1e6
    return frame


def run(rows, target, stop=None, take_profit=None, sizing="close", **config):
    bars = make_bars(rows)
    n = len(rows)
    signals = pd.DataFrame(
        {
            "target": np.asarray(target, float),
            "stop": np.full(n, NAN) if stop is None else np.asarray(stop, float),
            "take_profit": np.full(n, NAN)
            if take_profit is None
            else np.asarray(take_profit, float),
        },
        index=bars.index,
    )
    return backtest_signals(bars, signals, "X", BacktestConfig(**config), sizing=sizing)


def day(i: int):
    return pd.Timestamp("2024-01-01", tz="UTC").to_pydatetime() + timedelta(days=i)


def only(result) -> Trade:
    (trade,) = result.trades
    return trade


def test_entry_and_exit_fill_at_the_next_open():
    rows = [FLAT, FLAT, (101, 103, 100, 102), (102, 104, 101, 103), (104, 105, 103, 104), FLAT]
    result = run(rows, [0, 1, 1, 0, 0, 0])
    trade = only(result)
    assert (trade.side, trade.qty, trade.entry_price, trade.exit_price) == ("long", 100, 101, 104)
    assert (trade.entry_time, trade.exit_time) == (day(2), day(4))
    assert trade.pnl == pytest.approx(300)
    assert result.equity.tolist() == pytest.approx([1e4, 1e4, 10100, 10200, 10300, 10300])


def test_commission_and_slippage_apply_per_fill():
    rows = [FLAT, FLAT, (101, 103, 100, 102), (102, 104, 101, 103), (104, 105, 103, 104), FLAT]
    result = run(
        rows, [0, 1, 1, 0, 0, 0], commission_per_share=0.01, commission_pct=0.001, slippage_bps=10
    )
    trade = only(result)
    # qty = floor(10000 / (100 * 1.001 * 1.001 + 0.01)) = 99
    assert trade.qty == 99
    assert trade.entry_price == pytest.approx(101 * 1.001)
    assert trade.exit_price == pytest.approx(104 * 0.999)
    entry_fee = 0.99 + 0.001 * 99 * 101 * 1.001
    exit_fee = 0.99 + 0.001 * 99 * 104 * 0.999
    assert trade.commission == pytest.approx(entry_fee + exit_fee)
    assert trade.pnl == pytest.approx(99 * (104 * 0.999 - 101 * 1.001) - entry_fee - exit_fee)
    assert result.metrics.fees == pytest.approx(entry_fee + exit_fee)
    assert result.metrics.end_equity == pytest.approx(1e4 + trade.pnl)
    assert [f.side for f in result.fills] == [Side.BUY, Side.SELL]


def test_stop_inside_the_bar_and_no_reentry_while_the_target_is_unchanged():
    rows = [FLAT, FLAT, (101, 102, 100, 101), (100, 101, 94, 96), FLAT, FLAT]
    result = run(rows, [0, 1, 1, 1, 1, 1], stop=[NAN, 95, 95, 95, 95, 95], slippage_bps=10)
    trade = only(result)
    assert trade.exit_time == day(3)
    assert trade.exit_price == pytest.approx(95 * 0.999)


def test_stop_gapped_through_fills_at_the_open():
    rows = [FLAT, FLAT, (101, 102, 100, 101), (93, 94, 90, 92), FLAT]
    trade = only(run(rows, [0, 1, 1, 1, 1], stop=[NAN, 95, NAN, NAN, NAN]))
    assert (trade.exit_price, trade.exit_time) == (93, day(3))


def test_stop_can_fill_on_the_entry_bar():
    rows = [FLAT, FLAT, (101, 102, 94, 96), FLAT]
    trade = only(run(rows, [0, 1, 1, 1], stop=[NAN, 95, NAN, NAN]))
    assert trade.entry_time == trade.exit_time == day(2)
    assert (trade.entry_price, trade.exit_price) == (101, 95)


def test_stop_on_the_wrong_side_of_the_close_is_ignored():
    rows = [FLAT, FLAT, (101, 102, 94, 96), FLAT]
    trade = only(run(rows, [0, 1, 1, 1], stop=[NAN, 105, NAN, NAN]))
    assert trade.exit_time == day(3) + timedelta(microseconds=1)  # closed at the end


@pytest.mark.parametrize(
    ("bar", "exit_price"),
    [
        ((100, 111, 94, 100), 95),  # both touched: the stop first
        ((100, 111, 99, 100), 110),  # take-profit inside the bar, no slippage
        ((112, 113, 111, 112), 112),  # gapped above the take-profit: the open
    ],
)
def test_take_profit_and_stop(bar, exit_price):
    rows = [FLAT, FLAT, (101, 102, 100, 101), bar, FLAT]
    stops, tps = [NAN, 95, NAN, NAN, NAN], [NAN, 110, NAN, NAN, NAN]
    trade = only(run(rows, [0, 1, 1, 1, 1], stop=stops, take_profit=tps, slippage_bps=0))
    assert (trade.exit_price, trade.exit_time) == (exit_price, day(3))


def test_short_with_stop_above():
    rows = [FLAT, FLAT, (101, 102, 100, 101), (102, 106, 101, 104), FLAT]
    result = run(rows, [0, -1, -1, -1, -1], stop=[NAN, 105, NAN, NAN, NAN])
    trade = only(result)
    assert (trade.side, trade.qty, trade.entry_price, trade.exit_price) == ("short", 100, 101, 105)
    assert trade.pnl == pytest.approx(-400)
    assert result.equity.iloc[2] == pytest.approx(1e4 + 100 * (101 - 101))
    assert [f.side for f in result.fills] == [Side.SELL, Side.BUY]


def test_reversal_exits_and_enters_at_one_open_as_one_fill():
    rows = [FLAT, FLAT, (101, 102, 100, 102), (103, 104, 102, 103), FLAT, FLAT]
    result = run(rows, [0, 1, 1, -1, -1, -1])
    first, second = result.trades
    assert (first.side, first.exit_time, first.exit_price) == ("long", day(4), 100)
    assert (second.side, second.entry_time, second.entry_price) == ("short", day(4), 100)
    # the short is sized from the equity at the signal close: 10000 + 100 * (103 - 101)
    assert second.qty == math.floor(10200 / 103)
    flip = result.fills[1]
    assert (flip.side, float(flip.qty), flip.timestamp) == (Side.SELL, 100 + second.qty, day(4))


def test_a_target_change_of_the_same_sign_does_not_resize():
    rows = [FLAT] * 6
    trade = only(run(rows, [0, 1, 0.5, 0.5, 1, 1]))
    assert trade.qty == 100


def test_after_a_stop_a_new_target_enters_again():
    rows = [FLAT, FLAT, (101, 102, 100, 101), (100, 101, 94, 96), FLAT, FLAT, FLAT]
    result = run(rows, [0, 1, 1, 1, 0.5, 0.5, 0.5], stop=[NAN, 95, NAN, NAN, NAN, NAN, NAN])
    stopped, again = result.trades
    assert stopped.exit_price == 95
    assert again.entry_time == day(5)
    assert again.qty == math.floor(0.5 * (1e4 - 600) / 100)


def test_a_signal_on_the_last_bar_is_not_acted_on():
    assert run([FLAT] * 4, [0, 0, 0, 1]).trades == []


def test_close_at_end_options():
    rows = [FLAT, FLAT, (101, 102, 100, 101), (104, 106, 103, 105)]
    at_close = run(rows, [0, 1, 1, 1], commission_pct=0.001)
    trade = only(at_close)
    assert (trade.exit_price, trade.exit_time) == (105, day(3) + timedelta(microseconds=1))
    assert at_close.metrics.end_equity == pytest.approx(1e4 + trade.pnl)
    assert len(at_close.fills) == 1  # the closing fill is synthetic, as in the event path
    at_open = backtest_signals(
        make_bars(rows), pd.DataFrame({"target": [0.0, 1, 1, 1]}, index=make_bars(rows).index),
        "X", exit_at_end="open",
    )  # fmt: skip
    assert (only(at_open).exit_price, only(at_open).exit_time) == (104, day(3))
    kept = run(rows, [0, 1, 1, 1], close_at_end=False)
    assert kept.trades == []
    assert kept.metrics.end_equity == pytest.approx(1e4 + 100 * (105 - 101))
    assert [f.side for f in kept.fills] == [Side.BUY]


def test_sizing_at_the_close_or_at_the_fill():
    rows = [FLAT, FLAT, (50, 51, 49, 50), FLAT]
    assert only(run(rows, [0, 1, 1, 1])).qty == 100  # 10000 / close 100
    assert only(run(rows, [0, 1, 1, 1], sizing="fill")).qty == 200  # 10000 / open 50


def test_fractional_quantities():
    rows = [FLAT, (300, 301, 299, 300), FLAT, FLAT]
    assert only(run(rows, [0, 1, 1, 1], fractional=True)).qty == 33.333333


def test_not_shortable_asset_is_refused():
    bars = make_bars([FLAT] * 3)
    signals = pd.DataFrame({"target": [0.0, -1, -1]}, index=bars.index)
    with pytest.raises(OrderRejectedError, match="not_shortable"):
        backtest_signals(bars, signals, "X", asset=Asset(symbol="X", shortable=False))


def test_bad_inputs_fail_loudly():
    bars = make_bars([FLAT] * 3)
    signals = pd.DataFrame({"target": [0.0, 1, 1]}, index=bars.index)
    with pytest.raises(MalformedDataError):
        backtest_signals(bars.tz_localize(None), signals, "X")
    with pytest.raises(MalformedDataError):
        backtest_signals(bars.drop(columns="low"), signals, "X")
    with pytest.raises(ValueError, match="sizing"):
        backtest_signals(bars, signals, "X", sizing="open")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NaN"):
        backtest_signals(bars, signals.assign(target=[0.0, NAN, 1]), "X")
    with pytest.raises(ValueError, match="rows"):
        backtest_signals(bars, signals.iloc[:2], "X")


def test_run_vector_runs_a_strategy():
    wave = 100 + 10 * np.sin(np.arange(120) * 2 * np.pi / 40)
    bars = make_bars([(c, c + 1, c - 1, c) for c in wave])
    result = run_vector(STRATEGIES["sma_cross"], bars, "X")
    assert result.strategy == "sma_cross"
    assert result.params == STRATEGIES["sma_cross"].Params().model_dump()
    assert len(result.equity) == 120
    assert result.metrics.trades == len(result.trades) > 0


@pytest.mark.parametrize("seed", range(4))
def test_compiled_metrics_equal_compute_metrics(seed):
    rng = np.random.default_rng(seed)
    n = 300
    equity = 1e4 * np.cumprod(1 + rng.normal(0, 0.01, n))
    if seed == 1:
        equity[:] = 1e4  # flat: zero volatility
    exposure = rng.random(n) < 0.7
    pnls = rng.normal(5, 50, 25) if seed != 2 else np.abs(rng.normal(5, 50, 25))  # 2: no loss
    if seed == 3:
        pnls = pnls[:0]
    acc = np.zeros(k.ACC_SIZE)
    acc[k.A_TRADES], acc[k.A_WINS] = len(pnls), (pnls > 0).sum()
    acc[k.A_SUM_WIN], acc[k.A_SUM_LOSS] = pnls[pnls > 0].sum(), pnls[pnls <= 0].sum()
    acc[k.A_FEES] = 12.5
    out = np.empty(k.N_STATS)
    k.stats(equity, exposure, acc, 252.0, out)
    index = pd.date_range("2020-01-01", periods=n, freq="D", tz="UTC")
    t0 = index[0].to_pydatetime()
    trades = [Trade("X", "long", 1.0, t0, t0, 1.0, 1.0, float(p), 0.0) for p in pnls]
    expected = compute_metrics(pd.Series(equity, index=index), trades, 252.0, exposure, 12.5)
    for name, value in zip(k.STAT_NAMES, out, strict=True):
        want = getattr(expected, name)
        assert value == pytest.approx(want, rel=1e-9, abs=1e-12), name
