"""Alpaca statuses and shapes onto the domain model."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from alpaca.trading.models import Order as AlpacaOrder

from tradepit.broker.alpaca_mapping import STATUS, to_fill, to_order
from tradepit.domain.models import OrderStatus, Side, TimeInForce

BASE = {
    "id": "61e69015-8549-4bfd-b9c3-01e75843f47d",
    "client_order_id": "c1",
    "created_at": "2024-11-26T15:01:02Z",
    "updated_at": "2024-11-26T15:01:02Z",
    "submitted_at": "2024-11-26T15:01:02Z",
    "symbol": "AAPL",
    "asset_class": "us_equity",
    "qty": "10",
    "filled_qty": "0",
    "order_class": "",
    "type": "limit",
    "side": "buy",
    "time_in_force": "day",
    "limit_price": "190",
    "status": "new",
    "extended_hours": False,
}


def order(**changes) -> AlpacaOrder:
    return AlpacaOrder(**json.loads(json.dumps({**BASE, **changes})))


@pytest.mark.parametrize("status", sorted(STATUS))
def test_every_alpaca_status_maps(status):
    mapped = to_order(order(status=status)).status
    assert mapped is STATUS[status]


@pytest.mark.parametrize("status", ["accepted", "pending_cancel", "done_for_day", "new"])
def test_open_statuses_with_fills_are_partially_filled(status):
    mapped = to_order(order(status=status, filled_qty="3", filled_avg_price="189.9"))
    assert mapped.status is OrderStatus.PARTIALLY_FILLED and mapped.remaining_qty == 7


def test_unknown_status_is_an_error_not_a_guess():
    odd = AlpacaOrder.model_construct(**{**order().__dict__, "status": "teleported"})
    with pytest.raises(ValueError, match="unknown Alpaca order status"):
        to_order(odd)


def test_auction_tifs_show_as_day():
    assert to_order(order(time_in_force="opg")).time_in_force is TimeInForce.DAY


def test_fill_activity_short_sale_is_a_sell():
    fill = to_fill(
        {
            "id": "x::1",
            "transaction_time": "2024-11-26T15:20:11.511904Z",
            "price": "10.5",
            "qty": "3",
            "side": "sell_short",
            "symbol": "TSLA",
            "order_id": "o1",
        },
        "c9",
    )
    assert (fill.side, fill.qty, fill.price, fill.client_order_id) == (
        Side.SELL,
        Decimal(3),
        Decimal("10.5"),
        "c9",
    )
    assert fill.timestamp.tzinfo is not None
