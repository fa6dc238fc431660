"""Brackets and OTO: legs activate on the parent's fill, same bar, OCO, stop first."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradepit.domain.errors import OrderRejectedError
from tradepit.domain.models import OrderClass, OrderRequest, OrderStatus, OrderType, Side

BUY, SELL = Side.BUY, Side.SELL


def D(value: object) -> Decimal:
    return Decimal(str(value))


def bracket(side=BUY, qty=10, tp=110, sl=95, **kw) -> OrderRequest:
    return OrderRequest(
        symbol="AAA",
        side=side,
        qty=D(qty),
        take_profit=None if tp is None else D(tp),
        stop_loss=None if sl is None else D(sl),
        **kw,
    )


def statuses(broker, parent_id):
    parent = broker.get_order(parent_id)
    return parent.status, {leg.type: leg.status for leg in parent.legs}


def test_legs_are_held_until_the_parent_fills(sim) -> None:
    order = sim.broker.submit_order(bracket())
    assert order.order_class is OrderClass.BRACKET
    tp, sl = order.legs
    assert (tp.type, tp.side, tp.limit_price) == (OrderType.LIMIT, SELL, D(110))
    assert (sl.type, sl.side, sl.stop_price) == (OrderType.STOP, SELL, D(95))
    assert {tp.status, sl.status} == {OrderStatus.NEW}
    assert tp.parent_id == sl.parent_id == order.id
    sim.step(100, 101, 99, 100)  # entry fills at the open, no leg reached
    parent, legs = statuses(sim.broker, order.id)
    assert parent is OrderStatus.FILLED
    assert legs == {OrderType.LIMIT: OrderStatus.ACCEPTED, OrderType.STOP: OrderStatus.ACCEPTED}


def test_take_profit_fills_and_cancels_the_stop(sim) -> None:
    order = sim.broker.submit_order(bracket())
    sim.step(100)
    fills = sim.step(105, 111, 104, 108)
    assert [(f.side, f.price, f.qty) for f in fills] == [(SELL, D(110), D(10))]
    _, legs = statuses(sim.broker, order.id)
    assert legs == {OrderType.LIMIT: OrderStatus.FILLED, OrderType.STOP: OrderStatus.CANCELED}
    assert sim.broker.get_position("AAA") is None
    assert sim.broker.list_orders("open") == []


def test_stop_loss_fills_with_gap_and_cancels_the_take_profit(sim) -> None:
    order = sim.broker.submit_order(bracket())
    sim.step(100)
    fills = sim.step(93, 94, 90, 92)  # gaps below the stop: fills at the open
    assert [(f.price, f.qty) for f in fills] == [(D(93), D(10))]
    _, legs = statuses(sim.broker, order.id)
    assert legs == {OrderType.LIMIT: OrderStatus.CANCELED, OrderType.STOP: OrderStatus.FILLED}


def test_legs_are_checked_on_the_entry_bar(sim) -> None:
    sim.broker.submit_order(bracket())
    fills = sim.step(100, 101, 94, 96)  # entry at the open, then the low hits the stop
    assert [(f.side, f.price) for f in fills] == [(BUY, D(100)), (SELL, D(95))]
    assert sim.broker.get_position("AAA") is None


def test_when_both_legs_could_fill_in_one_bar_the_stop_wins(sim) -> None:
    order = sim.broker.submit_order(bracket())
    sim.step(100)
    fills = sim.step(100, 112, 90, 100)
    assert [f.price for f in fills] == [D(95)]
    _, legs = statuses(sim.broker, order.id)
    assert legs[OrderType.STOP] is OrderStatus.FILLED
    assert legs[OrderType.LIMIT] is OrderStatus.CANCELED


def test_short_bracket_legs_buy_back(sim) -> None:
    sim.broker.submit_order(bracket(SELL, tp=90, sl=105))
    sim.step(100)
    assert sim.broker.get_position("AAA").qty == -10
    fills = sim.step(95, 96, 89, 92)
    assert [(f.side, f.price) for f in fills] == [(BUY, D(90))]
    assert sim.broker.get_position("AAA") is None


def test_oto_with_only_a_stop_loss(sim) -> None:
    order = sim.broker.submit_order(bracket(tp=None, sl=97))
    assert order.order_class is OrderClass.OTO and len(order.legs) == 1
    sim.step(100)
    assert [f.price for f in sim.step(99, 100, 96, 97)] == [D(97)]


def test_children_follow_partial_fills_of_the_parent(make_sim) -> None:
    s = make_sim(max_volume_share=D("0.1"))
    s.step(100, v=1000)
    order = s.broker.submit_order(bracket(qty=150))
    fills = s.step(100, 101, 99, 100, v=1000)  # cap 100 shares, legs not reached
    assert [f.qty for f in fills] == [D(100)]
    parent = s.broker.get_order(order.id)
    assert parent.status is OrderStatus.PARTIALLY_FILLED
    assert {leg.qty for leg in parent.legs} == {D(100)}
    fills = s.step(100, 101, 99, 100, v=1000)
    assert [f.qty for f in fills] == [D(50)]
    assert {leg.qty for leg in s.broker.get_order(order.id).legs} == {D(150)}
    fills = s.step(100, 100, 94, 95, v=10000)  # stop-loss exits all 150
    assert [(f.side, f.qty, f.price) for f in fills] == [(SELL, D(150), D(95))]
    assert s.broker.get_position("AAA") is None


def test_stop_leg_partial_then_take_profit_shares_the_rest(make_sim) -> None:
    s = make_sim(max_volume_share=D("0.1"))
    s.step(100, v=1000)
    order = s.broker.submit_order(bracket(qty=100))
    s.step(100, v=1000)
    fills = s.step(100, 100, 94, 95, v=600)  # stop exits 60 of 100
    assert [f.qty for f in fills] == [D(60)]
    _, legs = statuses(s.broker, order.id)
    assert legs[OrderType.STOP] is OrderStatus.PARTIALLY_FILLED
    assert {leg.remaining_qty for leg in s.broker.get_order(order.id).legs} == {D(40)}
    fills = s.step(111, 112, 110, 111, v=1000)  # take-profit gets the 40 left
    assert [(f.price, f.qty) for f in fills] == [(D(111), D(40))]
    _, legs = statuses(s.broker, order.id)
    assert legs == {OrderType.LIMIT: OrderStatus.FILLED, OrderType.STOP: OrderStatus.FILLED}
    assert s.broker.get_position("AAA") is None


def test_close_position_cancels_the_legs(sim) -> None:
    order = sim.broker.submit_order(bracket())
    sim.step(100)
    close = sim.broker.close_position("AAA")
    assert (close.side, close.qty, close.type) == (SELL, D(10), OrderType.MARKET)
    _, legs = statuses(sim.broker, order.id)
    assert set(legs.values()) == {OrderStatus.CANCELED}
    fills = sim.step(120, 121, 80, 100)  # both legs would have filled
    assert [f.order_id for f in fills] == [close.id]
    assert sim.broker.get_position("AAA") is None


def test_canceling_an_unfilled_parent_cancels_its_legs(sim) -> None:
    order = sim.broker.submit_order(bracket(type=OrderType.LIMIT, limit_price=D(90)))
    sim.broker.cancel_order(order.id)
    parent, legs = statuses(sim.broker, order.id)
    assert parent is OrderStatus.CANCELED and set(legs.values()) == {OrderStatus.CANCELED}
    assert sim.step(85, 120, 80, 100) == []


def test_legs_never_open_a_position_the_parent_did_not(sim) -> None:
    order = sim.broker.submit_order(bracket(tp=None, sl=95))
    sim.step(100)
    sim.broker.submit_order(OrderRequest(symbol="AAA", side=SELL, qty=D(10)))  # manual exit
    sim.step(100)
    assert sim.broker.get_position("AAA") is None
    assert sim.step(94, 95, 90, 92) == []  # the stop is reached, but nothing is left to close
    assert sim.broker.get_position("AAA") is None
    _, legs = statuses(sim.broker, order.id)
    assert legs == {OrderType.STOP: OrderStatus.CANCELED}


@pytest.mark.parametrize(("side", "tp", "sl"), [(BUY, 95, 110), (SELL, 110, 95)])
def test_take_profit_on_the_wrong_side_of_the_stop_is_rejected(sim, side, tp, sl) -> None:
    with pytest.raises(OrderRejectedError) as err:
        sim.broker.submit_order(bracket(side, tp=tp, sl=sl))
    assert err.value.code == "invalid_bracket"
    assert sim.broker.list_orders("all") == []


def test_list_orders_returns_legs_flat_and_parents_carry_them(sim) -> None:
    order = sim.broker.submit_order(bracket())
    listed = sim.broker.list_orders("open")
    assert [o.id for o in listed] == [order.id, *(leg.id for leg in order.legs)]
    assert listed[0].legs == order.legs
    sim.step(100)
    sim.step(111, 112, 100, 111)
    assert sim.broker.list_orders("open") == []
    assert len(sim.broker.list_orders("closed")) == 3
    assert len(sim.broker.list_orders("all")) == 3
