"""Golden result against a peer: backtesting.py's canonical example, SmaCross(10, 30) on its
GOOG daily data (cash 10,000, no commission, full-equity whole-share orders, open trades
closed at the end), reproduced trade for trade by the vector engine.

backtesting.py (AGPL) is a test-only dependency: only tests import it, never `src/`.
Options that make our engine size and finish like it: ``sizing="fill"`` (units from the cash
at the next open), ``size=1 - eps`` (its default order size is ``1 - sys.float_info.epsilon``
of the available margin) and ``exit_at_end="open"`` (``finalize_trades`` closes the last
trade at the last bar's open).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import GOOG, SMA

from tradepit.backtest.event import BacktestConfig
from tradepit.backtest.vector import run_vector
from tradepit.strategies import STRATEGIES

# backtesting.py's own stats code uses a pandas API that pandas deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:DatetimeIndex.dayofweek is deprecated")


class SmaCross(Strategy):
    """backtesting.py's own example (backtesting/test/_test.py), as on its website."""

    fast = 10
    slow = 30

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.fast)
        self.sma2 = self.I(SMA, self.data.Close, self.slow)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


@pytest.fixture(scope="module")
def peer() -> pd.Series:
    backtest = Backtest(GOOG, SmaCross, cash=10_000, commission=0, finalize_trades=True)
    return backtest.run()


@pytest.fixture(scope="module")
def ours():
    bars = GOOG.rename(columns=str.lower).tz_localize("UTC")
    strategy = STRATEGIES["sma_cross"]
    config = BacktestConfig(cash=10_000, size=1 - sys.float_info.epsilon)
    params = strategy.Params(fast=10, slow=30)
    return run_vector(strategy, bars, "GOOG", params, config, sizing="fill", exit_at_end="open")


def test_peer_gives_the_published_figures(peer):
    assert peer["# Trades"] == 66
    assert round(peer["Return [%]"], 4) == 414.2299


def test_vector_engine_reproduces_the_peer_trade_for_trade(peer, ours):
    theirs = peer["_trades"]
    assert len(ours.trades) == len(theirs) == 66
    position = {t: i for i, t in enumerate(GOOG.index)}
    for mine, (_, other) in zip(ours.trades, theirs.iterrows(), strict=True):
        signed = mine.qty if mine.side == "long" else -mine.qty
        entry_bar = position[mine.entry_time.replace(tzinfo=None)]
        exit_bar = position[mine.exit_time.replace(tzinfo=None)]
        assert (entry_bar, exit_bar, signed) == (other.EntryBar, other.ExitBar, other.Size)
        assert mine.entry_price == pytest.approx(other.EntryPrice, rel=1e-12)
        assert mine.exit_price == pytest.approx(other.ExitPrice, rel=1e-12)
        assert mine.pnl == pytest.approx(other.PnL, rel=1e-9, abs=1e-9)


def test_vector_engine_reproduces_the_peer_return_and_equity(peer, ours):
    assert ours.metrics.return_pct == pytest.approx(peer["Return [%]"], rel=1e-12)
    assert round(ours.metrics.return_pct, 4) == 414.2299
    assert ours.metrics.trades == 66
    np.testing.assert_allclose(
        ours.equity.to_numpy(), peer["_equity_curve"]["Equity"].to_numpy(), rtol=1e-12
    )
