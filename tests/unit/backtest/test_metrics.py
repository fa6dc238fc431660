import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tradepit.backtest.metrics import compute_metrics, drawdown, sharpe_ratio, sortino_ratio
from tradepit.backtest.trades import trades_from_fills
from tradepit.domain.models import Fill, Side

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def fill(i, side, qty, price, commission=0):
    return Fill(
        id=f"f{i}",
        order_id=f"o{i}",
        client_order_id=f"c{i}",
        symbol="X",
        side=side,
        qty=Decimal(qty),
        price=Decimal(price),
        commission=Decimal(commission),
        timestamp=T0 + timedelta(days=i),
    )


def test_round_trip_long_with_commission():
    trades, still_open = trades_from_fills(
        [fill(0, Side.BUY, 10, 100, 1), fill(1, Side.SELL, 10, 110, 1)]
    )
    assert still_open == {}
    (t,) = trades
    assert (t.side, t.qty, t.entry_price, t.exit_price) == ("long", 10, 100, 110)
    assert t.pnl == pytest.approx(100 - 2)


def test_flip_closes_long_and_opens_short():
    trades, still_open = trades_from_fills(
        [fill(0, Side.BUY, 10, 100), fill(1, Side.SELL, 15, 90), fill(2, Side.BUY, 5, 80)]
    )
    assert [(t.side, t.qty, t.pnl) for t in trades] == [("long", 10, -100), ("short", 5, 50)]
    assert still_open == {}


def test_scale_in_averages_entry_and_partial_exit_keeps_position_open():
    trades, still_open = trades_from_fills(
        [fill(0, Side.BUY, 10, 100), fill(1, Side.BUY, 10, 110), fill(2, Side.SELL, 5, 120)]
    )
    assert trades == []
    assert still_open == {"X": 15}


def test_drawdown_and_ratios_by_hand():
    equity = np.array([100, 110, 99, 121, 110.0])
    np.testing.assert_allclose(drawdown(equity), [0, 0, -0.1, 0, 110 / 121 - 1])
    r = np.array([0.01, -0.02, 0.03])
    mean, sd = 0.02 / 3, np.std(r, ddof=1)
    assert sharpe_ratio(r, 252) == pytest.approx(mean / sd * math.sqrt(252))
    downside = math.sqrt((0.02**2) / 3)
    assert sortino_ratio(r, 252) == pytest.approx(mean / downside * math.sqrt(252))


def test_compute_metrics_by_hand():
    idx = pd.date_range("2020-01-01", periods=5, freq="D", tz="UTC")
    equity = pd.Series([100, 110, 99, 121, 110.0], index=idx)
    trades, _ = trades_from_fills(
        [
            fill(0, Side.BUY, 1, 100),
            fill(1, Side.SELL, 1, 130),
            fill(2, Side.BUY, 1, 100),
            fill(3, Side.SELL, 1, 90),
        ]
    )
    m = compute_metrics(
        equity,
        trades,
        252,
        exposure=np.array([1, 1, 0, 0, 1]),
        fees=3.0,
        benchmark_close=pd.Series([50, 60.0]),
    )
    assert m.return_pct == pytest.approx(10.0)
    assert m.max_drawdown_pct == pytest.approx(-10.0)
    assert m.max_drawdown_duration_bars == 1
    assert (m.trades, m.win_rate, m.profit_factor) == (2, 0.5, 3.0)
    assert (m.avg_win, m.avg_loss) == (30.0, -10.0)
    assert m.exposure_pct == pytest.approx(60.0)
    assert m.buy_and_hold_return_pct == pytest.approx(20.0)
    assert m.cagr_pct == pytest.approx(100 * (1.1 ** (252 / 5) - 1))
