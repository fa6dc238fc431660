"""Scoring: metrics of equity curves and fills, bootstrap intervals, the verdict against the
benchmark, ranking."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tradepit.battle.scoring import (
    Score,
    aggregate,
    bootstrap,
    curve_metrics,
    rank,
    trade_metrics,
    verdict,
)
from tradepit.domain.models import Fill, Side

T0 = datetime(2020, 1, 2, tzinfo=UTC)


def curve(values):
    return pd.Series(values, index=pd.date_range("2020-01-02", periods=len(values), tz="UTC"))


def test_curve_metrics_by_hand():
    values = [100.0, 110.0, 99.0, 121.0]
    m = curve_metrics(curve(values), 252)
    r = np.array([0.1, -0.1, 121 / 99 - 1])
    assert m["return_pct"] == pytest.approx(21.0)
    assert m["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252))
    downside = math.sqrt((0.1**2) / 3)
    assert m["sortino"] == pytest.approx(r.mean() / downside * math.sqrt(252))
    assert m["max_drawdown_pct"] == pytest.approx(-10.0)


def fill(n, side, qty, price, fee="1"):
    return Fill(
        id=f"f{n}", order_id=f"o{n}", client_order_id=f"c{n}", symbol="X", side=side,
        qty=Decimal(qty), price=Decimal(price), commission=Decimal(fee),
        timestamp=T0 + timedelta(days=n),
    )  # fmt: skip


def test_trade_metrics_from_fills():
    fills = [
        fill(0, Side.BUY, "10", "100"), fill(1, Side.SELL, "10", "110"),  # +100 - 2 fees
        fill(2, Side.BUY, "10", "100"), fill(3, Side.SELL, "10", "95"),  # -50 - 2 fees
        fill(4, Side.BUY, "5", "100"),  # still open: not a trade
    ]  # fmt: skip
    m = trade_metrics(fills)
    assert m["trades"] == 2 and m["fills"] == 5
    assert m["win_rate_pct"] == pytest.approx(50.0)
    assert m["profit_factor"] == pytest.approx(98 / 52)
    assert m["fees"] == pytest.approx(5.0)
    assert trade_metrics([])["profit_factor"] is None


def test_bootstrap_is_seeded_and_brackets_the_mean():
    values = [1.0, 2.0, 4.0, 8.0, 3.0]
    a, b = bootstrap(values, (1, 2, 3)), bootstrap(values, (1, 2, 3))
    assert a == b and a.n == 5 and a.mean == pytest.approx(3.6)
    assert a.low < a.mean < a.high and a.low >= 1.0 and a.high <= 8.0
    assert bootstrap(values, (9,)) != a  # another seed, other resamples
    assert bootstrap([2.0], (0,)).low is None
    assert bootstrap([None, math.inf], (0,)).n == 0


def test_verdict_needs_the_whole_interval_on_one_side():
    assert verdict(bootstrap([1.0, 2.0, 3.0, 2.5], (0,))) == "beats"
    assert verdict(bootstrap([-1.0, -2.0, -3.0, -2.5], (0,))) == "trails"
    assert verdict(bootstrap([-2.0, 2.0, -1.0, 1.5], (0,))) == "no significant difference"
    assert verdict(bootstrap([1.0], (0,))) == "n/a"


def score(index, net, sharpe=1.0, excess=0.0, status="ok"):
    return Score(
        index=index, name=f"m{index}", model=f"m{index}", return_pct=net, net_return_pct=net,
        excess_pct=excess, sharpe=sharpe, sortino=1.0, max_drawdown_pct=-1.0, win_rate_pct=None,
        profit_factor=None, trades=0, fills=0, fees=0.0, tokens_in=0, tokens_out=0,
        cost_usd=0.0, end_equity=0.0, model_calls=0, model_errors=0, cycles=1, failures=0,
        status=status,
    )  # fmt: skip


def test_rank_and_aggregate():
    ranked = rank([score(0, 1.0), score(1, 3.0), score(2, 1.0, sharpe=2.0)])
    assert [s.index for s in ranked] == [1, 2, 0]
    samples = [[score(0, 1.0, excess=0.5), score(1, -1.0, excess=-2.0)],
               [score(0, 2.0, excess=0.4), score(1, -2.0, excess=-3.0)],
               [score(0, 1.5, excess=0.6), score(1, -1.5, excess=-2.5)]]  # fmt: skip
    out = aggregate(samples, seed=3)
    assert [a.index for a in out] == [0, 1]
    assert out[0].versus_benchmark == "beats" and out[1].versus_benchmark == "trails"
    assert out[0].estimates["net_return_pct"].mean == pytest.approx(1.5)
    assert aggregate(samples, seed=3) == out


def test_competitors_that_stopped_deciding_rank_last():
    """A model that failed every cycle (0%) or ran out of budget must not beat one that
    traded to the end and lost; a model with some failed cycles still ranks by return."""
    ranked = rank([
        score(0, -0.28), score(1, 0.0, status="failed"), score(2, 0.5, status="over budget"),
        score(3, -1.0, status="failing"),
    ])  # fmt: skip
    assert [s.index for s in ranked] == [0, 3, 2, 1]
    samples = [[score(0, -1.0), score(1, 0.0, status="failed")],
               [score(0, -2.0), score(1, 0.0, status="failed")]]  # fmt: skip
    assert [a.index for a in aggregate(samples, seed=3)] == [0, 1]
    mixed = [[score(0, -1.0), score(1, 0.0, status="failed")],
             [score(0, -2.0), score(1, 0.0)]]  # fmt: skip
    assert [a.index for a in aggregate(mixed, seed=3)] == [1, 0]
