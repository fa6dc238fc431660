"""alpaca-py trading models -> domain models (orders, positions, account, assets, fills).

Lossy spots, by necessity of the domain model: a trailing stop is shown as a STOP order at
its current stop price; TIF ``opg``/``cls`` show as DAY; a multi-leg (``mleg``) option order
shows as SIMPLE with its legs, its symbol being the legs' underlying root. Alpaca statuses
map onto the domain's seven (see `STATUS`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from alpaca.trading import enums as ae
from alpaca.trading import models as am

from tradepit.domain.models import (
    Account,
    Asset,
    AssetClass,
    Fill,
    Order,
    OrderClass,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from tradepit.market.occ import parse_occ

ZERO = Decimal(0)
CRYPTO_CALENDAR = "24/7"

STATUS: dict[str, OrderStatus] = {
    "new": OrderStatus.NEW,
    "pending_new": OrderStatus.NEW,
    "accepted_for_bidding": OrderStatus.NEW,
    "held": OrderStatus.NEW,  # a bracket leg waiting for its parent
    "pending_review": OrderStatus.NEW,
    "suspended": OrderStatus.NEW,
    "accepted": OrderStatus.ACCEPTED,
    "pending_cancel": OrderStatus.ACCEPTED,
    "pending_replace": OrderStatus.ACCEPTED,
    "done_for_day": OrderStatus.ACCEPTED,
    "stopped": OrderStatus.ACCEPTED,
    "calculated": OrderStatus.ACCEPTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "replaced": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}
"""Alpaca order status -> domain status. Open statuses with a fill become PARTIALLY_FILLED."""

_TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop": OrderType.STOP,
    "stop_limit": OrderType.STOP_LIMIT,
    "trailing_stop": OrderType.STOP,
}
_TIFS = {
    "day": TimeInForce.DAY,
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
    "opg": TimeInForce.DAY,
    "cls": TimeInForce.DAY,
}
_CLASSES = {
    "": OrderClass.SIMPLE,
    "simple": OrderClass.SIMPLE,
    "mleg": OrderClass.SIMPLE,
    "bracket": OrderClass.BRACKET,
    "oco": OrderClass.OCO,
    "oto": OrderClass.OTO,
}
_ASSET_CLASSES = {
    "us_equity": AssetClass.US_EQUITY,
    "us_option": AssetClass.US_OPTION,
    "crypto": AssetClass.CRYPTO,
    "crypto_perp": AssetClass.CRYPTO,
}


def dec(value: Any) -> Decimal | None:
    """A vendor number (str, int or float) as an exact Decimal; None/"" stay None."""
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str) or "")


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def asset_class(value: Any) -> AssetClass:
    return _ASSET_CLASSES.get(_value(value), AssetClass.US_EQUITY)


def to_asset(asset: am.Asset) -> Asset:
    cls = asset_class(asset.asset_class)
    return Asset(
        symbol=asset.symbol,
        name=asset.name or "",
        asset_class=cls,
        tradable=bool(asset.tradable) and _value(asset.status) == "active",
        shortable=bool(asset.shortable and asset.easy_to_borrow),
        fractionable=bool(asset.fractionable),
        calendar=CRYPTO_CALENDAR if cls is AssetClass.CRYPTO else "XNYS",
    )


def to_option_asset(contract: am.OptionContract) -> Asset:
    return Asset(
        symbol=contract.symbol,
        name=contract.name,
        asset_class=AssetClass.US_OPTION,
        tradable=bool(contract.tradable) and _value(contract.status) == "active",
        shortable=False,
        fractionable=False,
    )


def _status(order: am.Order, filled: Decimal) -> OrderStatus:
    raw = _value(order.status)
    status = STATUS.get(raw)
    if status is None:
        raise ValueError(f"unknown Alpaca order status {raw!r}")
    if status in (OrderStatus.NEW, OrderStatus.ACCEPTED) and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return status


def _side(order: am.Order) -> Side:
    if order.side is not None:
        return Side(_value(order.side))
    limit = dec(order.limit_price)  # mleg: a negative limit is a net credit
    return Side.SELL if limit is not None and limit < 0 else Side.BUY


def _symbol(order: am.Order) -> str:
    if order.symbol:
        return order.symbol
    for leg in order.legs or ():
        if leg.symbol:
            try:
                return parse_occ(leg.symbol).root
            except ValueError:
                return leg.symbol
    return ""


def to_order(order: am.Order, parent: am.Order | None = None) -> Order:
    """A domain Order (legs nested, each with `parent_id`)."""
    filled = dec(order.filled_qty) or ZERO
    avg = dec(order.filled_avg_price)
    kind = order.type or order.order_type or (parent.type if parent is not None else None)
    order_class = _CLASSES.get(_value(order.order_class), OrderClass.SIMPLE)
    reason = None
    if _value(order.status) == "rejected":
        reason = "rejected by Alpaca"
    return Order(
        id=str(order.id),
        client_order_id=order.client_order_id,
        symbol=_symbol(order),
        side=_side(order),
        qty=dec(order.qty),
        notional=dec(order.notional),
        type=_TYPES.get(_value(kind), OrderType.MARKET),
        time_in_force=_TIFS.get(_value(order.time_in_force), TimeInForce.DAY),
        limit_price=dec(order.limit_price),
        stop_price=dec(order.stop_price),
        order_class=order_class,
        parent_id=str(parent.id) if parent is not None else None,
        status=_status(order, filled),
        filled_qty=filled,
        filled_avg_price=avg if filled > 0 else None,
        created_at=_utc(order.created_at),
        updated_at=_utc(order.updated_at),
        reject_reason=reason,
        legs=tuple(to_order(leg, order) for leg in order.legs or ()),
    )


def flatten(orders: list[Order]) -> list[Order]:
    """Parents followed by their legs (each also listed on its own), no duplicates."""
    out: list[Order] = []
    seen: set[str] = set()

    def visit(order: Order) -> None:
        if order.id in seen:
            return
        seen.add(order.id)
        out.append(order)
        for leg in order.legs:
            visit(leg)

    for order in orders:
        visit(order)
    return out


def to_position(position: am.Position) -> Position:
    qty = dec(position.qty) or ZERO
    if _value(position.side) == "short" and qty > 0:
        qty = -qty
    entry = dec(position.avg_entry_price) or ZERO
    price = dec(position.current_price)
    if price is None:
        value = dec(position.market_value)
        price = value / qty if value is not None and qty != 0 else entry
    return Position(
        symbol=position.symbol,
        qty=qty,
        avg_entry_price=entry,
        market_price=price,
        asset_class=asset_class(position.asset_class),
    )


def to_account(account: am.TradeAccount, now: datetime, equity_peak: Decimal) -> Account:
    equity = dec(account.equity) or ZERO
    last_equity = dec(account.last_equity) or equity
    return Account(
        id=str(account.id),
        cash=dec(account.cash) or ZERO,
        equity=equity,
        buying_power=dec(account.buying_power) or ZERO,
        long_market_value=dec(account.long_market_value) or ZERO,
        short_market_value=dec(account.short_market_value) or ZERO,
        last_equity=last_equity,
        equity_peak=max(equity_peak, equity, last_equity),
        currency=account.currency or "USD",
        timestamp=now,
    )


def to_fill(activity: dict[str, Any], client_order_id: str) -> Fill:
    """A FILL account activity (raw JSON) as a domain Fill."""
    when = datetime.fromisoformat(str(activity["transaction_time"]).replace("Z", "+00:00"))
    return Fill(
        id=str(activity["id"]),
        order_id=str(activity["order_id"]),
        client_order_id=client_order_id,
        symbol=str(activity["symbol"]),
        side=Side.SELL if str(activity["side"]).lower().startswith("sell") else Side.BUY,
        qty=dec(activity["qty"]) or ZERO,
        price=dec(activity["price"]) or ZERO,
        timestamp=_utc(when),
    )


def is_open_status(status: ae.OrderStatus | str) -> bool:
    mapped = STATUS.get(_value(status))
    return mapped is not None and mapped.is_open
