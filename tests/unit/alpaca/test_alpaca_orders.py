"""Order lifecycle from recorded Alpaca answers: asset checks before any order, accepted ->
partially filled -> filled, fills, a refused cancel, rejections."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradepit.domain.errors import (
    InsufficientBuyingPowerError,
    OrderNotCancelableError,
    OrderRejectedError,
    UnknownSymbolError,
)
from tradepit.domain.models import OrderRequest, OrderStatus, OrderType, Side, TimeInForce

ORDER_ID = "61e69015-8549-4bfd-b9c3-01e75843f47d"


def limit_buy() -> OrderRequest:
    return OrderRequest(
        symbol="AAPL",
        side=Side.BUY,
        qty=Decimal(10),
        type=OrderType.LIMIT,
        limit_price=Decimal(190),
        time_in_force=TimeInForce.DAY,
        client_order_id="run1-c1-AAPL-0",
    )


def test_order_lifecycle_accepted_partial_filled(broker, cassette):
    with cassette("broker_orders"):
        accepted = broker.submit_order(limit_buy())
        partial = broker.get_order(ORDER_ID)
        filled = broker.get_order(ORDER_ID)
        fills = broker.get_fills(datetime(2024, 11, 26, 15, 0, tzinfo=UTC))
        with pytest.raises(OrderNotCancelableError, match="filled"):
            broker.cancel_order(ORDER_ID)

    assert (accepted.id, accepted.status) == (ORDER_ID, OrderStatus.ACCEPTED)
    assert accepted.limit_price == Decimal(190) and accepted.filled_avg_price is None
    assert partial.status is OrderStatus.PARTIALLY_FILLED
    assert (partial.filled_qty, partial.remaining_qty) == (Decimal(4), Decimal(6))
    assert filled.status is OrderStatus.FILLED
    assert filled.filled_avg_price == Decimal("189.974")
    assert filled.updated_at == datetime(2024, 11, 26, 15, 31, 40, 118317, tzinfo=UTC)
    assert [(f.qty, f.price) for f in fills] == [
        (Decimal(4), Decimal("189.95")),
        (Decimal(6), Decimal("189.99")),
    ]
    assert {f.client_order_id for f in fills} == {"run1-c1-AAPL-0"}  # known: no extra lookup
    assert sum(f.qty * f.price for f in fills) / 10 == filled.filled_avg_price


def test_unknown_and_untradable_symbols_are_refused_before_any_order(broker, cassette):
    with cassette("broker_orders") as cass:
        with pytest.raises(UnknownSymbolError, match="ZZZZ"):
            broker.submit_order(OrderRequest(symbol="ZZZZ", side=Side.BUY, qty=Decimal(1)))
        with pytest.raises(OrderRejectedError, match="not_tradable"):
            broker.submit_order(OrderRequest(symbol="SNDL", side=Side.BUY, qty=Decimal(1)))
        played = [cass.requests[i] for i in cass.play_counts]
        assert [r.path for r in played] == ["/v2/assets/ZZZZ", "/v2/assets/SNDL"]  # no POST


def test_insufficient_buying_power_is_a_typed_rejection(broker, cassette, fake_time):
    request = OrderRequest(
        symbol="AAPL",
        side=Side.BUY,
        qty=Decimal(5000),
        time_in_force=TimeInForce.DAY,
        client_order_id="run1-c2-AAPL-0",
    )
    with cassette("broker_orders"), pytest.raises(InsufficientBuyingPowerError):
        broker.submit_order(request)
    assert fake_time.sleeps == []  # a business rejection is never retried


def test_rejected_after_acceptance_is_reported(broker, cassette):
    request = OrderRequest(
        symbol="AAPL",
        side=Side.SELL,
        qty=Decimal(1),
        type=OrderType.LIMIT,
        limit_price=Decimal(250),
        client_order_id="run1-c3-AAPL-0",
    )
    with cassette("broker_orders"):
        pending = broker.submit_order(request)
        later = broker.get_order_by_client_id("run1-c3-AAPL-0")
        never = broker.get_order_by_client_id("never-sent")
    assert pending.status is OrderStatus.NEW
    assert later.status is OrderStatus.REJECTED and later.reject_reason
    assert never is None
