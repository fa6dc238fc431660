"""Conversions between domain models and row values.

Bracket children (`Order.legs`) are stored as their own rows with `parent_id`; on load a
child is returned inside its parent's `legs`, not at top level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from tradepit.domain.models import Fill, Order, Position
from tradepit.storage.orm import FillRow, OrderRow, PositionRow

Row = dict[str, Any]

_ORDER_FIELDS = (
    "id",
    "client_order_id",
    "symbol",
    "side",
    "qty",
    "notional",
    "type",
    "time_in_force",
    "limit_price",
    "stop_price",
    "order_class",
    "status",
    "filled_qty",
    "filled_avg_price",
    "created_at",
    "updated_at",
    "reject_reason",
)
_FILL_FIELDS = (
    "id",
    "order_id",
    "client_order_id",
    "symbol",
    "side",
    "qty",
    "price",
    "commission",
    "timestamp",
)
_POSITION_FIELDS = ("symbol", "qty", "avg_entry_price", "market_price", "asset_class")


def _plain(model: Any, names: Iterable[str]) -> Row:
    """Field values with enums as their plain string values (drivers differ on enums)."""
    values = {name: getattr(model, name) for name in names}
    return {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}


def order_rows(account_id: str, orders: Iterable[Order]) -> list[Row]:
    """Flatten orders and their legs into rows, parents before children, one row per id."""
    rows: dict[str, Row] = {}

    def visit(order: Order, parent_id: str | None) -> None:
        if order.id not in rows:
            row = _plain(order, _ORDER_FIELDS)
            row.update(account_id=account_id, parent_id=order.parent_id or parent_id)
            rows[order.id] = row
        for leg in order.legs:
            visit(leg, order.id)

    for order in orders:
        visit(order, None)
    ordered: list[Row] = []
    emitted: set[str] = set()

    def emit(order_id: str) -> None:
        if order_id in emitted:
            return
        emitted.add(order_id)
        parent_id = rows[order_id]["parent_id"]
        if parent_id in rows:
            emit(parent_id)
        ordered.append(rows[order_id])

    for order_id in rows:
        emit(order_id)
    return ordered


def orders_from_rows(rows: Sequence[OrderRow]) -> tuple[Order, ...]:
    """Rebuild orders (in row order) with their legs nested under their parents."""
    ids = {row.id for row in rows}
    children: dict[str, list[OrderRow]] = defaultdict(list)
    for row in rows:
        if row.parent_id is not None and row.parent_id in ids:
            children[row.parent_id].append(row)

    def build(row: OrderRow) -> Order:
        values = {name: getattr(row, name) for name in _ORDER_FIELDS}
        legs = tuple(build(child) for child in children.get(row.id, ()))
        return Order.model_validate({**values, "parent_id": row.parent_id, "legs": legs})

    return tuple(build(row) for row in rows if row.parent_id is None or row.parent_id not in ids)


def fill_row(account_id: str, fill: Fill) -> Row:
    return {"account_id": account_id, **_plain(fill, _FILL_FIELDS)}


def fill_from_row(row: FillRow) -> Fill:
    return Fill.model_validate({name: getattr(row, name) for name in _FILL_FIELDS})


def position_row(account_id: str, position: Position, as_of: datetime) -> Row:
    return {"account_id": account_id, "as_of": as_of, **_plain(position, _POSITION_FIELDS)}


def position_from_row(row: PositionRow) -> Position:
    return Position.model_validate({name: getattr(row, name) for name in _POSITION_FIELDS})
