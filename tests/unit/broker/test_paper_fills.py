"""The pure fill rules of `paper_fills`, case by case and as properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradepit.broker.paper_fills import (
    commission,
    limit_fill,
    market_fill,
    match,
    notional_qty,
    round_qty,
    stop_fill,
    stop_limit_fill,
    volume_cap,
)
from tradepit.domain.models import OrderType, Side

D = Decimal
BUY, SELL = Side.BUY, Side.SELL
SLIP = D("0.001")


def test_market_moves_against_the_trader() -> None:
    assert market_fill(BUY, D(100), SLIP) == D(100) * (1 + SLIP)
    assert market_fill(SELL, D(100), SLIP) == D(100) * (1 - SLIP)
    assert market_fill(BUY, D(100), D(0)) == D(100)
    # no slippage: the open as it is (63.98 x 1.0 read "63.980" in every order and cash)
    assert str(market_fill(BUY, D("63.98"), D("0.0") / 10000)) == "63.98"


@pytest.mark.parametrize(
    ("side", "o", "h", "low", "limit", "expected"),
    [
        (BUY, 95, 99, 94, 98, 95),  # opens below the limit: the open (better)
        (BUY, 100, 101, 97, 98, 98),  # trades down through the limit: the limit
        (BUY, 100, 101, 98, 98, 98),  # touches the limit exactly
        (BUY, 100, 101, 99, 98, None),  # never reaches it
        (SELL, 105, 106, 104, 102, 105),  # opens above: the open
        (SELL, 100, 103, 99, 102, 102),  # trades up through the limit
        (SELL, 100, 101, 99, 102, None),
    ],
)
def test_limit_fill(side, o, h, low, limit, expected) -> None:
    got = limit_fill(side, D(o), D(h), D(low), D(limit))
    assert got == (None if expected is None else D(expected))


@pytest.mark.parametrize(
    ("side", "o", "h", "low", "stop", "trigger"),
    [
        (BUY, 105, 106, 104, 102, 105),  # gaps above the stop: the open
        (BUY, 100, 103, 99, 102, 102),  # rallies through the stop: the stop
        (BUY, 100, 101, 99, 102, None),
        (SELL, 95, 96, 94, 98, 95),  # gaps below the stop: the open
        (SELL, 100, 101, 97, 98, 98),
        (SELL, 100, 101, 99, 98, None),
    ],
)
def test_stop_fill_adds_slippage_to_the_trigger(side, o, h, low, stop, trigger) -> None:
    got = stop_fill(side, D(o), D(h), D(low), D(stop), SLIP)
    if trigger is None:
        assert got is None
    else:
        assert got == market_fill(side, D(trigger), SLIP)


@pytest.mark.parametrize(
    ("side", "o", "h", "low", "stop", "limit", "expected"),
    [
        (BUY, 100, 103, 99, 102, 103, (D(102), True)),  # triggers at the stop, within limit
        (BUY, 104, 105, 103, 102, 104, (D(104), True)),  # gap, open still within the limit
        (BUY, 106, 107, 105, 102, 104, (None, True)),  # gap beyond the limit: rests
        (BUY, 100, 101, 99, 102, 104, (None, False)),  # not triggered
        (SELL, 100, 101, 97, 98, 97, (D(98), True)),
        (SELL, 96, 97, 95, 98, 96, (D(96), True)),
        (SELL, 94, 95, 93, 98, 96, (None, True)),
        (SELL, 100, 101, 99, 98, 96, (None, False)),
    ],
)
def test_stop_limit_fill(side, o, h, low, stop, limit, expected) -> None:
    assert stop_limit_fill(side, D(o), D(h), D(low), D(stop), D(limit)) == expected


def test_match_dispatches_by_type() -> None:
    args = (D(100), D(103), D(97), D(98), D(102), SLIP)
    assert match(OrderType.MARKET, BUY, *args) == (market_fill(BUY, D(100), SLIP), False)
    assert match(OrderType.LIMIT, BUY, *args) == (D(98), False)
    assert match(OrderType.STOP, BUY, *args) == (market_fill(BUY, D(102), SLIP), False)


def test_commission() -> None:
    assert commission(D(10), D(50), D("0.01"), D("0.001"), D(0)) == D("0.1") + D("0.5")
    assert commission(D(10), D(50), D("0.01"), D("0.001"), D(1)) == D(1)  # minimum applies
    assert commission(D(10), D(50), D(0), D(0), D(0)) == 0


def test_volume_cap() -> None:
    assert volume_cap(D(1234), D("0.1"), fractional=False) == D(123)
    assert volume_cap(D(1234), D("0.1"), fractional=True) == D("123.4")
    assert volume_cap(D(1234), None, fractional=False) is None
    assert volume_cap(D(0), D("0.1"), fractional=False) is None  # index data: no volume
    assert volume_cap(D("NaN"), D("0.1"), fractional=False) is None


def test_notional_qty_rounds_down() -> None:
    assert notional_qty(D(1000), D(30), fractional=False) == D(33)
    assert notional_qty(D(10), D(30), fractional=False) == 0
    assert notional_qty(D(10), D(30), fractional=True) == D("0.333333333")
    assert round_qty(D("2.9999999999"), fractional=True) == D("2.999999999")


prices = st.decimals(min_value=1, max_value=1000, places=2)


@st.composite
def bars(draw):
    a, b, c, d = (draw(prices) for _ in range(4))
    low, high = min(a, b, c, d), max(a, b, c, d)
    return c, high, low, d  # open, high, low, close inside low..high


@given(bars(), prices, st.sampled_from([BUY, SELL]))
def test_limit_fills_at_the_limit_or_better_inside_the_bar(bar, limit, side) -> None:
    o, h, low, _ = bar
    price = limit_fill(side, o, h, low, limit)
    if price is None:
        assert (low > limit) if side is BUY else (h < limit)
    else:
        assert low <= price <= h
        assert price <= limit if side is BUY else price >= limit


@given(bars(), prices, st.sampled_from([BUY, SELL]))
def test_stop_fills_only_once_reached_and_never_better_than_the_stop(bar, stop, side) -> None:
    o, h, low, _ = bar
    price = stop_fill(side, o, h, low, stop, D(0))
    if price is None:
        assert (h < stop) if side is BUY else (low > stop)
    else:
        assert low <= price <= h
        assert price >= stop if side is BUY else price <= stop
