"""Partial fills under the volume cap, IOC/FOK, DAY expiry and GTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradepit.domain.models import OrderRequest, OrderStatus, OrderType, Side, TimeInForce

BUY, SELL = Side.BUY, Side.SELL
DAY = timedelta(days=1)


def D(value: object) -> Decimal:
    return Decimal(str(value))


def req(qty=10, side=BUY, tif=TimeInForce.GTC, **kw) -> OrderRequest:
    return OrderRequest(symbol="AAA", side=side, qty=D(qty), time_in_force=tif, **kw)


def test_partial_fills_across_bars(make_sim) -> None:
    s = make_sim(max_volume_share=D("0.1"))
    s.step(100, v=5000)
    order = s.broker.submit_order(req(1000))
    assert [f.qty for f in s.step(100, v=5000)] == [D(500)]
    mid = s.broker.get_order(order.id)
    assert (mid.status, mid.filled_qty, mid.remaining_qty) == (
        OrderStatus.PARTIALLY_FILLED,
        D(500),
        D(500),
    )
    assert [(f.qty, f.price) for f in s.step(110, v=3001)] == [(D(300), D(110))]  # floor(300.1)
    assert [f.qty for f in s.step(120, v=1_000_000)] == [D(200)]
    done = s.broker.get_order(order.id)
    assert done.status is OrderStatus.FILLED
    assert done.filled_avg_price == (500 * D(100) + 300 * D(110) + 200 * D(120)) / 1000
    assert s.broker.get_position("AAA").qty == 1000


def test_the_volume_cap_is_shared_by_orders_of_a_symbol_in_a_bar(make_sim) -> None:
    s = make_sim(max_volume_share=D("0.1"))
    s.step(100, v=1000)
    first = s.broker.submit_order(req(70))
    second = s.broker.submit_order(req(70))
    fills = s.step(100, v=1000)
    assert [(f.order_id, f.qty) for f in fills] == [(first.id, D(70)), (second.id, D(30))]


def test_bars_without_volume_are_not_capped(make_sim) -> None:
    s = make_sim(max_volume_share=D("0.1"))
    s.step(100)
    s.broker.submit_order(req(900))
    assert [f.qty for f in s.step(100, v=0)] == [D(900)]


def test_ioc_fills_what_it_can_and_cancels_the_rest(make_sim) -> None:
    s = make_sim(max_volume_share=D("0.1"))
    s.step(100, v=1000)
    order = s.broker.submit_order(req(300, tif=TimeInForce.IOC))
    assert [f.qty for f in s.step(100, v=1000)] == [D(100)]
    final = s.broker.get_order(order.id)
    assert (final.status, final.filled_qty) == (OrderStatus.CANCELED, D(100))
    assert s.step(100, v=1000) == []


def test_ioc_limit_not_reached_is_canceled(sim) -> None:
    order = sim.broker.submit_order(
        req(tif=TimeInForce.IOC, type=OrderType.LIMIT, limit_price=D(90))
    )
    assert sim.step(100, 101, 95, 100) == []
    assert sim.broker.get_order(order.id).status is OrderStatus.CANCELED
    assert sim.step(80) == []


def test_fok_fills_nothing_when_it_cannot_fill_in_full(make_sim) -> None:
    s = make_sim(max_volume_share=D("0.1"))
    s.step(100, v=1000)
    too_big = s.broker.submit_order(req(101, tif=TimeInForce.FOK))
    fits = s.broker.submit_order(req(100, tif=TimeInForce.FOK))
    fills = s.step(100, v=1000)
    assert [(f.order_id, f.qty) for f in fills] == [(fits.id, D(100))]
    final = s.broker.get_order(too_big.id)
    assert (final.status, final.filled_qty) == (OrderStatus.CANCELED, D(0))
    assert s.broker.get_order(fits.id).status is OrderStatus.FILLED


def test_day_order_expires_before_the_next_session_bar(sim) -> None:
    order = sim.broker.submit_order(
        req(tif=TimeInForce.DAY, type=OrderType.LIMIT, limit_price=D(95))
    )
    assert sim.step(100, 101, 96, 100) == []  # its session: not reached
    assert sim.broker.get_order(order.id).status is OrderStatus.ACCEPTED
    assert sim.step(90, 91, 89, 90) == []  # would fill, but the order expired first
    final = sim.broker.get_order(order.id)
    assert final.status is OrderStatus.EXPIRED
    assert final.updated_at == sim.next_ts - DAY  # stamped with the bar that ended it


def test_day_order_works_every_bar_of_its_session(make_sim) -> None:
    s = make_sim()
    start = s.next_ts
    s.clock.advance_to(start)
    s.broker.on_bar(s.bar(100, 100, 100, 100, at=start))
    s.clock.advance_to(start + timedelta(hours=1))
    order = s.broker.submit_order(req(tif=TimeInForce.DAY, type=OrderType.LIMIT, limit_price=D(95)))
    for hour in (1, 2, 3):  # intraday bars of the same UTC date
        at = start + timedelta(hours=hour)
        s.clock.advance_to(at)
        low = 96 if hour < 3 else 94
        fills = s.broker.on_bar(s.bar(100, 101, low, 100, at=at))
    assert [f.price for f in fills] == [D(95)]
    assert s.broker.get_order(order.id).status is OrderStatus.FILLED


def test_day_order_sent_after_the_close_is_good_for_the_next_session(make_sim) -> None:
    s = make_sim()
    friday = datetime(2024, 1, 5, tzinfo=UTC)
    s.next_ts = friday
    s.step(100)  # Friday's bar; the order is sent at its close, a Saturday
    order = s.broker.submit_order(req(tif=TimeInForce.DAY, type=OrderType.LIMIT, limit_price=D(95)))
    assert order.created_at.weekday() == 5
    s.skip_days(2)  # no bars on the weekend
    assert [f.price for f in s.step(96, 97, 94, 95)] == [D(95)]  # Monday: its first session


def test_new_session_expires_day_orders_that_had_their_session(sim) -> None:
    order = sim.broker.submit_order(
        req(tif=TimeInForce.DAY, type=OrderType.LIMIT, limit_price=D(95))
    )
    waiting = sim.broker.submit_order(
        OrderRequest(
            symbol="BBB", side=BUY, qty=D(1), time_in_force=TimeInForce.DAY,
            type=OrderType.LIMIT, limit_price=D(1),
        )
    )  # fmt: skip
    sim.step(100)
    sim.broker.new_session((sim.next_ts + DAY).date())
    assert sim.broker.get_order(order.id).status is OrderStatus.EXPIRED
    assert sim.broker.get_order(waiting.id).status is OrderStatus.ACCEPTED  # no BBB bar yet


def test_gtc_orders_stay_until_filled(sim) -> None:
    order = sim.broker.submit_order(req(type=OrderType.LIMIT, limit_price=D(95)))
    for _ in range(5):
        assert sim.step(100, 101, 96, 100) == []
    assert sim.broker.get_order(order.id).status is OrderStatus.ACCEPTED
    assert [f.price for f in sim.step(96, 97, 90, 91)] == [D(95)]
