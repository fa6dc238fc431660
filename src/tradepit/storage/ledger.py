"""Paper-account persistence (the LedgerStore port), as functions of one Session (saves:
of one Session or Core Connection)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from tradepit.domain.models import Fill
from tradepit.domain.ports import LedgerSnapshot
from tradepit.storage.mapping import (
    fill_from_row,
    fill_row,
    order_rows,
    orders_from_rows,
    position_from_row,
    position_row,
)
from tradepit.storage.orm import AccountRow, FillRow, OrderRow, PositionRow
from tradepit.storage.upsert import insert_missing, upsert

_POSITIONS = PositionRow.__table__
# Statements of every save, built once (building one costs more than running it).
_DELETE_POSITIONS = delete(_POSITIONS).where(_POSITIONS.c.account_id == bindparam("account_id"))
_INSERT_POSITIONS = insert(_POSITIONS)


def save_ledger(
    session: Session | Connection, snapshot: LedgerSnapshot, new_fills: Sequence[Fill]
) -> None:
    """Upsert the account and its orders (with legs), replace its positions, add new fills."""
    account_id = snapshot.account_id
    account = {
        "id": account_id,
        "cash": snapshot.cash,
        "last_equity": snapshot.last_equity,
        "equity_peak": snapshot.equity_peak,
        "day": snapshot.day,
        "updated_at": snapshot.updated_at,
    }
    upsert(session, AccountRow.__table__, [account], keys=["id"])
    orders = order_rows(account_id, snapshot.orders)
    upsert(session, OrderRow.__table__, orders, keys=["account_id", "id"])
    session.execute(_DELETE_POSITIONS, {"account_id": account_id})
    positions = [position_row(account_id, p, snapshot.updated_at) for p in snapshot.positions]
    if positions:
        session.execute(_INSERT_POSITIONS, positions)
    fills = [fill_row(account_id, fill) for fill in new_fills]
    insert_missing(session, FillRow.__table__, fills, keys=["account_id", "id"])


def has_ledger(session: Session, account_id: str) -> bool:
    """Whether the account has a saved snapshot (without loading it)."""
    return session.get(AccountRow, account_id) is not None


def load_ledger(session: Session, account_id: str) -> LedgerSnapshot | None:
    """The saved snapshot: orders in first-saved order, legs nested, positions by symbol."""
    account = session.get(AccountRow, account_id)
    if account is None:
        return None
    order_q = select(OrderRow).where(OrderRow.account_id == account_id).order_by(OrderRow.pk)
    position_q = (
        select(PositionRow).where(PositionRow.account_id == account_id).order_by(PositionRow.symbol)
    )
    return LedgerSnapshot(
        account_id=account.id,
        cash=account.cash,
        last_equity=account.last_equity,
        equity_peak=account.equity_peak,
        day=account.day,
        positions=tuple(position_from_row(r) for r in session.scalars(position_q)),
        orders=orders_from_rows(session.scalars(order_q).all()),
        updated_at=account.updated_at,
    )


def list_fills(session: Session, account_id: str, since: datetime | None = None) -> list[Fill]:
    """Fills of the account stamped at or after `since`, oldest first."""
    query = select(FillRow).where(FillRow.account_id == account_id)
    if since is not None:
        query = query.where(FillRow.timestamp >= since)
    query = query.order_by(FillRow.timestamp, FillRow.pk)
    return [fill_from_row(row) for row in session.scalars(query)]
