"""Mutable working orders of the paper broker and their conversion to and from `Order`.

Bracket legs are created at submit with status NEW (held) and become ACCEPTED when the parent
first fills. A triggered stop-limit that did not fill is reported as a LIMIT order (its
stop_price kept). A DAY order's session is the UTC date of its first eligible bar; the broker
stamps ``updated_at`` with that bar's time, which is how the session survives a restart
(an order whose first bar began exactly at its creation keeps ``updated_at == created_at``;
see `_session_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from tradepit.domain.models import (
    Order,
    OrderClass,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)

ZERO = Decimal(0)
OPEN_STATUSES = frozenset({OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})


@dataclass(slots=True, eq=False)
class WorkingOrder:
    """The broker's mutable view of one order; `to_order` gives the frozen domain value."""

    seq: int
    id: str
    client_order_id: str
    symbol: str
    side: Side
    qty: Decimal | None
    notional: Decimal | None
    type: OrderType
    time_in_force: TimeInForce
    limit_price: Decimal | None
    stop_price: Decimal | None
    order_class: OrderClass
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    parent: WorkingOrder | None = None
    take_profit: WorkingOrder | None = None
    stop_loss: WorkingOrder | None = None
    filled_qty: Decimal = ZERO
    filled_value: Decimal = ZERO
    reject_reason: str | None = None
    session_day: date | None = None
    cached: Order | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        return (self.qty or ZERO) - self.filled_qty

    def legs(self) -> tuple[WorkingOrder, ...]:
        return tuple(leg for leg in (self.take_profit, self.stop_loss) if leg is not None)

    def group_open(self) -> bool:
        """True while this order or one of its legs can still trade."""
        return self.is_open or any(leg.is_open for leg in self.legs())

    def touch(self, when: datetime) -> None:
        if when > self.updated_at:
            self.updated_at = when
        self.cached = None
        if self.parent is not None:
            self.parent.cached = None

    def to_order(self) -> Order:
        if self.cached is None:
            self.cached = Order(
                id=self.id,
                client_order_id=self.client_order_id,
                symbol=self.symbol,
                side=self.side,
                qty=self.qty,
                notional=self.notional,
                type=self.type,
                time_in_force=self.time_in_force,
                limit_price=self.limit_price,
                stop_price=self.stop_price,
                order_class=self.order_class,
                parent_id=self.parent.id if self.parent is not None else None,
                status=self.status,
                filled_qty=self.filled_qty,
                filled_avg_price=self.filled_value / self.filled_qty if self.filled_qty else None,
                created_at=self.created_at,
                updated_at=self.updated_at,
                reject_reason=self.reject_reason,
                legs=tuple(leg.to_order() for leg in self.legs()),
            )
        return self.cached


def utc_date(when: datetime) -> date:
    """The UTC calendar date of an aware datetime (fast path for UTC values)."""
    if when.tzinfo is UTC:
        return when.date()
    offset = when.utcoffset()
    return when.date() if not offset else (when - offset).date()


def counter_of(identifier: str, prefix: str) -> int:
    """The counter in an id like ``<prefix><n>``; -1 when it has another shape."""
    if identifier.startswith(prefix):
        tail = identifier[len(prefix) :]
        if tail.isdigit():
            return int(tail)
    return -1


def restore_orders(
    orders: Iterable[Order], id_prefix: str, ledger_day: date | None
) -> list[WorkingOrder]:
    """Working orders from stored ones (flat or with nested legs), parents before legs;
    `ledger_day` is the stored session date."""
    flat: dict[str, Order] = {}

    def visit(order: Order) -> None:
        flat.setdefault(order.id, order)
        for leg in order.legs:
            visit(leg)

    for order in orders:
        visit(order)
    ranked = sorted(
        enumerate(flat.values()),
        key=lambda item: (item[1].created_at, counter_of(item[1].id, id_prefix), item[0]),
    )
    working: dict[str, WorkingOrder] = {}
    for seq, (_, order) in enumerate(ranked):
        working[order.id] = _from_order(order, seq, ledger_day)
    for order in flat.values():
        if order.parent_id is not None and order.parent_id in working:
            leg, parent = working[order.id], working[order.parent_id]
            leg.parent = parent
            if leg.type is OrderType.STOP:
                parent.stop_loss = leg
            else:
                parent.take_profit = leg
    return sorted(working.values(), key=lambda w: w.seq)


def _session_of(order: Order, ledger_day: date | None) -> date | None:
    """A stored DAY order's session: the date of its `updated_at` once a bar touched it; an
    order never updated was touched iff its creation date's session has begun."""
    if order.time_in_force is not TimeInForce.DAY:
        return None
    if order.updated_at > order.created_at or order.filled_qty > 0:
        return utc_date(order.updated_at)
    created = utc_date(order.created_at)
    return created if ledger_day is not None and ledger_day >= created else None


def _from_order(order: Order, seq: int, ledger_day: date | None) -> WorkingOrder:
    session_day = _session_of(order, ledger_day)
    return WorkingOrder(
        seq=seq,
        id=order.id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        qty=order.qty,
        notional=order.notional,
        type=order.type,
        time_in_force=order.time_in_force,
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        order_class=order.order_class,
        status=order.status,
        created_at=order.created_at,
        updated_at=order.updated_at,
        filled_qty=order.filled_qty,
        filled_value=(order.filled_avg_price or ZERO) * order.filled_qty,
        reject_reason=order.reject_reason,
        session_day=session_day,
    )
