"""Order requests Alpaca supports beyond the domain `OrderRequest`, and the translation of
every request into alpaca-py's request objects.

The domain `OrderRequest` covers market / limit / stop / stop-limit, bracket (take_profit +
stop_loss) and OTO (one of them). Here: trailing stops, OCO exits and multi-leg option orders.
A client_order_id is always sent (generated when missing) so that an ambiguous submit can be
resolved by looking the order up.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

from alpaca.trading import enums as ae
from alpaca.trading import requests as ar
from pydantic import Field, model_validator

from tradepit.domain.models import Frozen, OrderClass, OrderRequest, OrderType, Side, TimeInForce

CLIENT_ID_PREFIX = "tp-"


def new_client_order_id() -> str:
    return f"{CLIENT_ID_PREFIX}{uuid.uuid4().hex}"


class TrailingStopRequest(Frozen):
    """A stop that trails the best price by `trail_price` dollars or `trail_percent` %."""

    symbol: str = Field(min_length=1, max_length=32)
    side: Side
    qty: Decimal = Field(gt=0)
    trail_price: Decimal | None = Field(default=None, gt=0)
    trail_percent: Decimal | None = Field(default=None, gt=0, lt=100)
    time_in_force: TimeInForce = TimeInForce.DAY
    client_order_id: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _one_trail(self) -> TrailingStopRequest:
        if (self.trail_price is None) == (self.trail_percent is None):
            raise ValueError("give exactly one of trail_price or trail_percent")
        return self


class OcoRequest(Frozen):
    """One-cancels-other exit for an open position: a take-profit limit and a stop loss
    (a stop-limit when `stop_limit_price` is given)."""

    symbol: str = Field(min_length=1, max_length=32)
    side: Side
    qty: Decimal = Field(gt=0)
    take_profit: Decimal = Field(gt=0)
    stop_loss: Decimal = Field(gt=0)
    stop_limit_price: Decimal | None = Field(default=None, gt=0)
    time_in_force: TimeInForce = TimeInForce.GTC
    client_order_id: str | None = Field(default=None, max_length=128)


PositionIntent = Literal["buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close"]


class OptionLeg(Frozen):
    """One leg of a multi-leg option order: an OCC symbol and its ratio."""

    symbol: str = Field(min_length=1, max_length=32)
    side: Side
    ratio_qty: int = Field(default=1, ge=1)
    position_intent: PositionIntent | None = None


class MultiLegOrderRequest(Frozen):
    """A multi-leg option order (spread, straddle, ...): 2-4 legs on distinct contracts.
    `limit_price` is per unit of the combination: positive = net debit, negative = credit."""

    legs: tuple[OptionLeg, ...] = Field(min_length=2, max_length=4)
    qty: int = Field(ge=1)
    type: Literal[OrderType.MARKET, OrderType.LIMIT] = OrderType.LIMIT
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    client_order_id: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _check(self) -> MultiLegOrderRequest:
        if len({leg.symbol for leg in self.legs}) != len(self.legs):
            raise ValueError("legs must be on distinct contracts")
        if self.type is OrderType.LIMIT and self.limit_price is None:
            raise ValueError("a limit multi-leg order needs limit_price")
        if self.type is OrderType.MARKET and self.limit_price is not None:
            raise ValueError("a market multi-leg order takes no limit_price")
        return self


AnyOrderRequest = OrderRequest | TrailingStopRequest | OcoRequest | MultiLegOrderRequest


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _common(request: OrderRequest, cid: str) -> dict[str, object]:
    fields: dict[str, object] = {
        "symbol": request.symbol,
        "side": ae.OrderSide(request.side.value),
        "time_in_force": ae.TimeInForce(request.time_in_force.value),
        "client_order_id": cid,
    }
    if request.qty is not None:
        fields["qty"] = float(request.qty)
    else:
        fields["notional"] = _f(request.notional)
    if request.order_class is not OrderClass.SIMPLE:
        fields["order_class"] = ae.OrderClass(request.order_class.value)
    if request.take_profit is not None:
        fields["take_profit"] = ar.TakeProfitRequest(limit_price=float(request.take_profit))
    if request.stop_loss is not None:
        fields["stop_loss"] = ar.StopLossRequest(stop_price=float(request.stop_loss))
    return fields


def to_alpaca(request: AnyOrderRequest, cid: str) -> ar.OrderRequest:
    """alpaca-py's request object for `request`, sent with client_order_id `cid`."""
    if isinstance(request, OrderRequest):
        fields = _common(request, cid)
        if request.type is OrderType.MARKET:
            return ar.MarketOrderRequest(**fields)
        if request.type is OrderType.LIMIT:
            return ar.LimitOrderRequest(limit_price=_f(request.limit_price), **fields)
        if request.type is OrderType.STOP:
            return ar.StopOrderRequest(stop_price=_f(request.stop_price), **fields)
        return ar.StopLimitOrderRequest(
            stop_price=_f(request.stop_price), limit_price=_f(request.limit_price), **fields
        )
    if isinstance(request, TrailingStopRequest):
        return ar.TrailingStopOrderRequest(
            symbol=request.symbol,
            side=ae.OrderSide(request.side.value),
            qty=float(request.qty),
            trail_price=_f(request.trail_price),
            trail_percent=_f(request.trail_percent),
            time_in_force=ae.TimeInForce(request.time_in_force.value),
            client_order_id=cid,
        )
    if isinstance(request, OcoRequest):
        return ar.LimitOrderRequest(
            symbol=request.symbol,
            side=ae.OrderSide(request.side.value),
            qty=float(request.qty),
            time_in_force=ae.TimeInForce(request.time_in_force.value),
            order_class=ae.OrderClass.OCO,
            take_profit=ar.TakeProfitRequest(limit_price=float(request.take_profit)),
            stop_loss=ar.StopLossRequest(
                stop_price=float(request.stop_loss), limit_price=_f(request.stop_limit_price)
            ),
            client_order_id=cid,
        )
    return _multi_leg(request, cid)


def _multi_leg(request: MultiLegOrderRequest, cid: str) -> ar.OrderRequest:
    legs = [
        ar.OptionLegRequest(
            symbol=leg.symbol,
            ratio_qty=leg.ratio_qty,
            side=ae.OrderSide(leg.side.value),
            position_intent=ae.PositionIntent(leg.position_intent) if leg.position_intent else None,
        )
        for leg in request.legs
    ]
    fields = {
        "qty": request.qty,
        "order_class": ae.OrderClass.MLEG,
        "time_in_force": ae.TimeInForce(request.time_in_force.value),
        "legs": legs,
        "client_order_id": cid,
    }
    if request.type is OrderType.MARKET:
        return ar.MarketOrderRequest(**fields)
    return ar.LimitOrderRequest(limit_price=float(request.limit_price or 0), **fields)


def symbols_of(request: AnyOrderRequest) -> tuple[str, ...]:
    """Every symbol an order trades (the legs' contracts for a multi-leg order)."""
    if isinstance(request, MultiLegOrderRequest):
        return tuple(leg.symbol for leg in request.legs)
    return (request.symbol,)
