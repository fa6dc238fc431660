"""Bracket, OTO, stop-limit, trailing stop, OCO, option and multi-leg option orders, and the
open-orders list, from recorded Alpaca answers (request bodies are matched as JSON)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tradepit.broker.alpaca_orders import (
    MultiLegOrderRequest,
    OcoRequest,
    OptionLeg,
    TrailingStopRequest,
)
from tradepit.domain.errors import OrderRejectedError
from tradepit.domain.models import OrderClass, OrderRequest, OrderStatus, OrderType, Side
from tradepit.domain.models import TimeInForce as TIF

PUT_550, PUT_540 = "SPY251121P00550000", "SPY251121P00540000"


def test_bracket_oto_and_stop_limit(broker, cassette):
    with cassette("broker_orders_advanced"):
        bracket = broker.submit_order(
            OrderRequest(
                symbol="MSFT",
                side=Side.BUY,
                qty=D(5),
                type=OrderType.LIMIT,
                limit_price=D("415.5"),
                take_profit=D(440),
                stop_loss=D(400),
                time_in_force=TIF.GTC,
                client_order_id="run1-c4-MSFT-0",
            )
        )
        oto = broker.submit_order(
            OrderRequest(
                symbol="MSFT",
                side=Side.BUY,
                qty=D(5),
                stop_loss=D(400),
                time_in_force=TIF.DAY,
                client_order_id="run1-c4-MSFT-1",
            )
        )
        stop_limit = broker.submit_order(
            OrderRequest(
                symbol="MSFT",
                side=Side.SELL,
                qty=D(5),
                type=OrderType.STOP_LIMIT,
                stop_price=D(405),
                limit_price=D(404),
                time_in_force=TIF.DAY,
                client_order_id="run1-c4-MSFT-2",
            )
        )

    assert bracket.order_class is OrderClass.BRACKET
    take, stop = bracket.legs
    assert (take.type, take.limit_price, take.side) == (OrderType.LIMIT, D(440), Side.SELL)
    assert (stop.type, stop.stop_price, stop.status) == (OrderType.STOP, D(400), OrderStatus.NEW)
    assert {leg.parent_id for leg in bracket.legs} == {bracket.id}
    assert oto.order_class is OrderClass.OTO and len(oto.legs) == 1
    assert (stop_limit.stop_price, stop_limit.limit_price) == (D(405), D(404))


def test_trailing_stop_and_oco(broker, cassette):
    with cassette("broker_orders_advanced"):
        trailing = broker.submit_trailing_stop(
            TrailingStopRequest(
                symbol="AAPL",
                side=Side.SELL,
                qty=D(50),
                trail_percent=D("2.5"),
                time_in_force=TIF.GTC,
                client_order_id="run1-c5-AAPL-0",
            )
        )
        oco = broker.submit_oco(
            OcoRequest(
                symbol="AAPL",
                side=Side.SELL,
                qty=D(50),
                take_profit=D(250),
                stop_loss=D(215),
                stop_limit_price=D(214),
                client_order_id="run1-c6-AAPL-0",
            )
        )

    # a trailing stop is shown as a stop at its current trigger price
    assert (trailing.type, trailing.stop_price) == (OrderType.STOP, D("229.17"))
    assert oco.order_class is OrderClass.OCO
    assert oco.limit_price == D(250) and oco.legs[0].stop_price == D(215)


def test_option_orders_single_and_multi_leg(broker, cassette):
    with cassette("broker_orders_advanced"):
        single = broker.submit_order(
            OrderRequest(
                symbol=PUT_550,
                side=Side.BUY,
                qty=D(2),
                type=OrderType.LIMIT,
                limit_price=D("9.4"),
                time_in_force=TIF.DAY,
                client_order_id="run1-c7-SPY-0",
            )
        )
        spread = broker.submit_multi_leg(
            MultiLegOrderRequest(
                legs=(
                    OptionLeg(symbol=PUT_550, side=Side.BUY, position_intent="buy_to_open"),
                    OptionLeg(symbol=PUT_540, side=Side.SELL, position_intent="sell_to_open"),
                ),
                qty=1,
                limit_price=D("2.15"),
                client_order_id="run1-c8-SPY-0",
            )
        )

    assert single.symbol == PUT_550 and single.status is OrderStatus.ACCEPTED
    assert spread.symbol == "SPY"  # mleg orders carry no symbol: the legs' root
    assert spread.side is Side.BUY and spread.limit_price == D("2.15")  # a net debit
    assert [(leg.symbol, leg.side) for leg in spread.legs] == [
        (PUT_550, Side.BUY),
        (PUT_540, Side.SELL),
    ]
    assert all(leg.type is OrderType.LIMIT for leg in spread.legs)


def test_option_orders_need_whole_contracts_and_day_tif(broker, cassette):
    with cassette("broker_orders_advanced"), pytest.raises(OrderRejectedError) as caught:
        broker.submit_order(
            OrderRequest(symbol=PUT_550, side=Side.BUY, qty=D("1.5"), time_in_force=TIF.GTC)
        )
    assert caught.value.code == "invalid_option_order"
    assert "day" in str(caught.value) and "whole number" in str(caught.value)


def test_open_orders_list_parents_then_legs(broker, cassette):
    with cassette("broker_orders_advanced"):
        orders = broker.list_orders("open")
    assert [o.client_order_id for o in orders] == [
        "run1-c5-AAPL-0",
        "run1-c4-MSFT-0",
        "c6a1b2d3-aaaa-4bbb-8ccc-ddddeeee0001",
        "c6a1b2d3-aaaa-4bbb-8ccc-ddddeeee0002",
    ]
    assert orders[0].stop_price == D("231.12")  # the trailing stop moved up
    assert orders[1].status is OrderStatus.FILLED and orders[2].parent_id == orders[1].id


def test_multi_leg_request_validation():
    leg = OptionLeg(symbol=PUT_550, side=Side.BUY)
    with pytest.raises(ValueError, match="distinct"):
        MultiLegOrderRequest(legs=(leg, leg), qty=1, limit_price=D(1))
    with pytest.raises(ValueError, match="limit_price"):
        MultiLegOrderRequest(legs=(leg, OptionLeg(symbol=PUT_540, side=Side.SELL)), qty=1)
    with pytest.raises(ValueError, match="exactly one"):
        TrailingStopRequest(symbol="AAPL", side=Side.SELL, qty=D(1))
