"""Fill rules through the broker: timing (no look-ahead), order types, gaps, notional."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tradepit.domain.models import OrderRequest, OrderStatus, OrderType, Side

BUY, SELL = Side.BUY, Side.SELL
DAY = timedelta(days=1)


def D(value: object) -> Decimal:
    return Decimal(str(value))


def req(side=BUY, qty=10, **kw) -> OrderRequest:
    return OrderRequest(symbol=kw.pop("symbol", "AAA"), side=side, qty=D(qty), **kw)


def test_market_order_fills_at_next_open_never_on_the_submit_bar(sim) -> None:
    order = sim.broker.submit_order(req())
    assert order.status is OrderStatus.ACCEPTED
    assert order.created_at == sim.next_ts  # submitted at the close of the last bar
    # replaying the bar it was submitted on (stamped before creation) fills nothing
    stale = sim.bar(100, 100, 100, 100, at=sim.next_ts - DAY)
    assert sim.broker.on_bar(stale) == []
    fills = sim.step(101, 103, 99, 102)
    assert [(f.qty, f.price, f.timestamp) for f in fills] == [(D(10), D(101), order.created_at)]
    assert sim.broker.get_order(order.id).status is OrderStatus.FILLED


def test_order_is_not_filled_by_a_bar_that_began_before_it(sim) -> None:
    sim.clock.advance_to(sim.next_ts + DAY / 2)  # submit in the middle of the next bar
    sim.broker.submit_order(req())
    assert sim.broker.on_bar(sim.bar(101, 101, 101, 101)) == []  # it opened before the order
    sim.skip_days(1)
    assert [f.price for f in sim.step(102)] == [D(102)]


@pytest.mark.parametrize(
    ("side", "kind", "price", "bar", "expected"),
    [
        (BUY, OrderType.LIMIT, 98, (97, 99, 96, 98), 97),  # gap down through a buy limit
        (BUY, OrderType.LIMIT, 98, (100, 101, 97, 99), 98),
        (BUY, OrderType.LIMIT, 98, (100, 101, 99, 99), None),
        (SELL, OrderType.LIMIT, 102, (104, 105, 103, 104), 104),  # gap up through a sell limit
        (SELL, OrderType.LIMIT, 102, (100, 103, 99, 101), 102),
        (SELL, OrderType.LIMIT, 102, (100, 101, 99, 101), None),
        (BUY, OrderType.STOP, 102, (105, 106, 104, 105), 105),  # gap through a buy stop
        (BUY, OrderType.STOP, 102, (100, 103, 99, 101), 102),
        (BUY, OrderType.STOP, 102, (100, 101, 99, 101), None),
        (SELL, OrderType.STOP, 98, (95, 96, 94, 95), 95),  # gap through a sell stop
        (SELL, OrderType.STOP, 98, (100, 101, 97, 99), 98),
        (SELL, OrderType.STOP, 98, (100, 101, 99, 99), None),
    ],
)
def test_limit_and_stop_orders(sim, side, kind, price, bar, expected) -> None:
    field = "limit_price" if kind is OrderType.LIMIT else "stop_price"
    sim.broker.submit_order(req(side, type=kind, **{field: D(price)}))
    fills = sim.step(*bar)
    assert [f.price for f in fills] == ([] if expected is None else [D(expected)])


@pytest.mark.parametrize("side", [BUY, SELL])
def test_stop_fill_gets_slippage_limit_fill_does_not(make_sim, side) -> None:
    s = make_sim(slippage_bps=D(20))
    s.step(100)
    stop, limit = (D(102), D(98)) if side is BUY else (D(98), D(102))
    s.broker.submit_order(req(side, type=OrderType.STOP, stop_price=stop))
    opposite_limit = req(side, type=OrderType.LIMIT, limit_price=limit)
    s.broker.submit_order(opposite_limit)
    fills = s.step(100, 103, 97, 100)
    slip = D(20) / D(10000)
    moved = stop * (1 + slip) if side is BUY else stop * (1 - slip)
    assert sorted(f.price for f in fills) == sorted([moved, limit])


def test_stop_limit_gapping_past_its_limit_rests_as_a_limit(sim) -> None:
    order = sim.broker.submit_order(
        req(type=OrderType.STOP_LIMIT, stop_price=D(102), limit_price=D(104))
    )
    assert sim.step(106, 107, 105, 106) == []  # triggered at 106 > limit: no fill this bar
    resting = sim.broker.get_order(order.id)
    assert resting.type is OrderType.LIMIT and resting.status is OrderStatus.ACCEPTED
    fills = sim.step(105, 106, 103, 104)  # now a plain buy limit at 104
    assert [f.price for f in fills] == [D(104)]


def test_stop_limit_within_limit_fills_at_trigger(sim) -> None:
    sim.broker.submit_order(
        req(SELL, type=OrderType.STOP_LIMIT, stop_price=D(98), limit_price=D(97))
    )
    assert [f.price for f in sim.step(100, 101, 96, 97)] == [D(98)]


def test_untriggered_stop_limit_keeps_its_type(sim) -> None:
    order = sim.broker.submit_order(
        req(type=OrderType.STOP_LIMIT, stop_price=D(110), limit_price=D(111))
    )
    assert sim.step(100, 101, 99, 100) == []
    assert sim.broker.get_order(order.id).type is OrderType.STOP_LIMIT


def test_notional_order_floors_to_whole_shares_at_the_fill_price(sim) -> None:
    order = sim.broker.submit_order(OrderRequest(symbol="AAA", side=BUY, notional=D(1000)))
    assert order.qty is None
    fills = sim.step(120)
    assert [f.qty for f in fills] == [D(1000) // D(120)]
    assert sim.broker.get_order(order.id).qty == D(8)


def test_notional_fractional(make_sim) -> None:
    s = make_sim(allow_fractional=True)
    s.step(100)
    s.broker.submit_order(OrderRequest(symbol="AAA", side=BUY, notional=D(1000)))
    (fill,) = s.step(300)
    assert fill.qty == D("3.333333333")
    assert s.broker.get_position("AAA").qty == fill.qty


def test_notional_below_one_share_at_fill_is_rejected(sim) -> None:
    order = sim.broker.submit_order(OrderRequest(symbol="AAA", side=BUY, notional=D(150)))
    assert sim.step(200) == []
    final = sim.broker.get_order(order.id)
    assert final.status is OrderStatus.REJECTED and final.reject_reason
    assert sim.broker.get_position("AAA") is None


def test_fills_mark_positions_to_the_close(sim) -> None:
    sim.broker.submit_order(req(qty=5))
    sim.step(101, 106, 100, 105)
    position = sim.broker.get_position("AAA")
    assert position.qty == 5 and position.avg_entry_price == 101 and position.market_price == 105
    account = sim.broker.get_account()
    assert account.equity == account.cash + 5 * D(105)
    assert account.cash == D(100000) - 5 * D(101)


def test_orders_fill_in_creation_order_on_their_own_symbol(sim) -> None:
    sim.step(50, symbol="BBB", advance=False)
    first = sim.broker.submit_order(req(qty=1))
    other = sim.broker.submit_order(req(qty=2, symbol="BBB"))
    second = sim.broker.submit_order(req(SELL, qty=1))
    fills = sim.step(101)
    assert [f.order_id for f in fills] == [first.id, second.id]
    assert sim.broker.get_order(other.id).status is OrderStatus.ACCEPTED
    assert [f.order_id for f in sim.step(51, symbol="BBB")] == [other.id]
