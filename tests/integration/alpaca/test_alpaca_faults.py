"""Faults against a local Alpaca imitation: whatever happens, at most one order exists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.integration.alpaca.fake_alpaca import Fault, order_json

from tradepit.broker.resilience import CircuitOpenError, SubmitOutcomeUnknownError
from tradepit.domain.errors import (
    BrokerUnavailableError,
    DuplicateClientOrderIdError,
    InsufficientBuyingPowerError,
    RateLimitedError,
    UnknownSymbolError,
)
from tradepit.domain.models import OrderRequest, OrderStatus, Side

SUBMIT = "POST /v2/orders"
LOOKUP = "GET /v2/orders:by_client_order_id"


def buy(cid: str = "run1-c1-AAPL-0") -> OrderRequest:
    return OrderRequest(symbol="AAPL", side=Side.BUY, qty=Decimal(10), client_order_id=cid)


def test_500_then_success_places_one_order(fake, make_broker, fake_time):
    fake.fail(SUBMIT, Fault(status=500, body={"code": 50010000, "message": "internal error"}))
    order = make_broker().submit_order(buy())

    assert order.status is OrderStatus.ACCEPTED
    assert len(fake.orders) == 1
    # the 500 was ambiguous: the order was looked up before it was sent again
    assert fake.requests.index(LOOKUP) > fake.requests.index(SUBMIT)
    assert fake.count(SUBMIT) == 2
    assert len(fake_time.sleeps) == 1


def test_429_honours_retry_after_and_places_one_order(fake, make_broker, fake_time):
    fake.fail(
        SUBMIT,
        Fault(status=429, headers={"Retry-After": "7"}, body={"message": "too many requests"}),
    )
    make_broker().submit_order(buy())

    assert fake_time.sleeps == [7.0]
    assert fake.count(LOOKUP) == 0  # a 429 is never processed: nothing to look up
    assert fake.count(SUBMIT) == 2
    assert len(fake.orders) == 1


def test_timeout_after_submit_is_resolved_by_lookup_without_resending(fake, make_broker):
    fake.fail(SUBMIT, Fault(delay=0.3))  # accepted by the server, answered too late
    order = make_broker(timeout=0.1).submit_order(buy("run1-c2-AAPL-0"))

    assert fake.count(SUBMIT) == 1
    assert fake.count(LOOKUP) == 1
    assert len(fake.orders) == 1
    assert order.client_order_id == "run1-c2-AAPL-0"
    assert order.id in fake.orders


def test_timeout_then_lookup_down_never_resends(fake, make_broker):
    fake.fail(SUBMIT, Fault(delay=0.3))
    fake.fail(LOOKUP, *[Fault(status=503)] * 3)
    with pytest.raises(SubmitOutcomeUnknownError) as caught:
        make_broker(attempts=4, timeout=0.1).submit_order(buy("run1-c3-AAPL-0"))

    assert caught.value.client_order_id == "run1-c3-AAPL-0"
    assert fake.count(SUBMIT) == 1
    assert len(fake.orders) == 1


def test_resend_after_race_is_resolved_as_the_same_order(fake, make_broker):
    # the lookup misses the order (not visible yet), the resend hits the duplicate id
    fake.fail(SUBMIT, Fault(delay=0.3))
    fake.fail(LOOKUP, Fault(status=404, body={"code": 40410000, "message": "order not found"}))
    order = make_broker(timeout=0.1).submit_order(buy("run1-c4-AAPL-0"))

    assert len(fake.orders) == 1
    assert order.id in fake.orders
    assert fake.count(SUBMIT) == 2


def test_caller_reusing_an_id_gets_duplicate_error(fake, make_broker):
    fake.add_order(order_json("AAPL", "buy", "10", client_order_id="taken"))
    with pytest.raises(DuplicateClientOrderIdError):
        make_broker().submit_order(buy("taken"))
    assert len(fake.orders) == 1


def test_business_rejection_is_not_retried(fake, make_broker, fake_time):
    fake.fail(
        SUBMIT, Fault(status=403, body={"code": 40310000, "message": "insufficient buying power"})
    )
    with pytest.raises(InsufficientBuyingPowerError):
        make_broker().submit_order(buy())
    assert fake.count(SUBMIT) == 1
    assert fake.count(LOOKUP) == 0
    assert fake_time.sleeps == []
    assert fake.orders == {}


def test_unknown_or_untradable_symbol_sends_no_order(fake, make_broker):
    fake.assets["HALT"] = {**fake.assets["AAPL"], "symbol": "HALT", "tradable": False}
    broker = make_broker()
    with pytest.raises(UnknownSymbolError):
        broker.submit_order(OrderRequest(symbol="NOPE", side=Side.BUY, qty=Decimal(1)))
    with pytest.raises(Exception, match="not_tradable"):
        broker.submit_order(OrderRequest(symbol="HALT", side=Side.BUY, qty=Decimal(1)))
    assert fake.count(SUBMIT) == 0


def test_rate_limited_reads_give_up_with_retry_after(fake, make_broker):
    fake.fail("GET /v2/account", *[Fault(status=429, headers={"Retry-After": "3"})] * 2)
    with pytest.raises(RateLimitedError) as caught:
        make_broker(attempts=2).get_account()
    assert caught.value.retry_after == 3.0


def test_circuit_opens_after_five_failures_and_half_opens_after_60s(fake, make_broker, fake_time):
    broker = make_broker(attempts=1)
    fake.fail("GET /v2/account", *[Fault(status=503)] * 5)
    for _ in range(5):
        with pytest.raises(BrokerUnavailableError):
            broker.get_account()
    calls = fake.count("GET /v2/account")
    with pytest.raises(CircuitOpenError):
        broker.get_account()
    assert fake.count("GET /v2/account") == calls  # failed fast, nothing sent

    fake_time.now += 59.0
    with pytest.raises(CircuitOpenError):
        broker.get_account()
    fake_time.now += 1.0
    assert broker.get_account().cash == Decimal("90000")  # the half-open trial succeeds
    assert broker.get_account().equity == Decimal("101000")  # and the circuit is closed


def test_close_position_cancels_its_orders_then_sells_it_once(fake, make_broker):
    from tests.integration.alpaca.fake_alpaca import position_json

    fake.positions.append(position_json("AAPL", "10", "190", "191"))
    stop = fake.add_order(
        order_json("AAPL", "sell", "10", client_order_id="run1-stop", type="stop")
    )
    fake.fail(SUBMIT, Fault(delay=0.3))  # and the close itself times out
    order = make_broker(timeout=0.1).close_position("AAPL")

    assert fake.orders[stop["id"]]["status"] == "canceled"
    assert (order.symbol, order.side, order.qty) == ("AAPL", Side.SELL, Decimal(10))
    assert order.time_in_force.value == "day" and order.type.value == "market"
    sells = [o for o in fake.orders.values() if o["client_order_id"] != "run1-stop"]
    assert len(sells) == 1 and fake.count(SUBMIT) == 1


def test_fills_follow_activity_pages(fake, make_broker):
    from tests.integration.alpaca.fake_alpaca import fill_json

    order = fake.add_order(
        order_json(
            "AAPL", "buy", "150", client_order_id="run1-big", status="filled", filled_qty="150"
        )
    )
    fake.activities += [
        fill_json(order, "1", "190", f"2024-03-04T16:{m // 60:02d}:{m % 60:02d}Z")
        for m in range(150)
    ]
    fills = make_broker().get_fills()
    assert len(fills) == 150 and {f.client_order_id for f in fills} == {"run1-big"}
    assert fake.count("GET /v2/account/activities/FILL") == 2  # 100 + 50
    assert fake.count("GET /v2/orders/" + order["id"]) == 1  # client id looked up once
