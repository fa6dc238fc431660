"""One commit per tick: a competitor's writes are buffered during its cycle and written,
for every competitor at once, in one transaction with a handful of batched statements when
the tick is done.

`TickBuffer` stands in for the `Store` of one competitor (its graph's recorder and its
paper broker's `LedgerStore`): model calls, decisions, ledger saves and equity points are
queued; everything else (reads, runs, trading flags) goes to the real store. Ledger saves
of one account within a tick are coalesced: the last snapshot's account and positions, the
latest version of every order any save carried, every new fill. That is what applying the
saves one by one leaves in the database (orders are upserted by id, positions replaced).
`flush_all(store, buffers)` writes everything in one transaction: one statement per table
for the whole tick instead of one transaction per call, per decision and per save. A crash
loses at most the current tick, which a replay re-runs from the recorded turns anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from tradepit.domain.models import GLOBAL_SCOPE, Decision, Fill, Order
from tradepit.domain.ports import LedgerSnapshot
from tradepit.storage import ModelCallRecord, Store, TradingFlag
from tradepit.storage.mapping import fill_row, order_rows, position_row
from tradepit.storage.orm import (
    AccountRow,
    DecisionRow,
    EquityPointRow,
    FillRow,
    ModelCallRow,
    OrderRow,
    PositionRow,
)
from tradepit.storage.types import to_decimal
from tradepit.storage.upsert import insert_missing, upsert


@dataclass
class _Ledger:
    snapshot: LedgerSnapshot
    orders: dict[str, Order] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)


@dataclass
class _Batch:
    calls: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    ledgers: dict[str, _Ledger] = field(default_factory=dict)
    equity: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.calls) + len(self.decisions) + len(self.ledgers) + len(self.equity)


class FlagCache:
    """The stored trading flags (kill switch) of a group's runs, read once per tick: a
    halt set during a tick applies from the next one."""

    def __init__(self, store: Store, scopes: Sequence[str] = ()) -> None:
        self.store = store
        self.scopes = list(scopes)
        self._flags: list[TradingFlag] = []

    def refresh(self) -> None:
        self._flags = self.store.get_trading_flags([GLOBAL_SCOPE, *self.scopes])

    def get(self, scopes: Sequence[str]) -> list[TradingFlag]:
        return [f for f in self._flags if f.scope in scopes]


class TickBuffer:
    """A competitor's view of the store with buffered writes (see the module docstring)."""

    def __init__(self, store: Store, flags: FlagCache | None = None) -> None:
        self.store = store
        self.flags = flags
        self._batch = _Batch()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def get_trading_flags(self, scopes: Sequence[str]) -> list[TradingFlag]:
        if self.flags is None:
            return self.store.get_trading_flags(scopes)
        return self.flags.get(scopes)

    # -- buffered writes -----------------------------------------------------------------

    def record_model_call(self, record: ModelCallRecord) -> None:
        with self._lock:
            self._batch.calls.append(_row(record))

    def record_turn(
        self,
        calls: Sequence[ModelCallRecord],
        decisions: Sequence[tuple[Decision, dict[str, Any]]],
    ) -> bool:
        """Queued; battle runs are fresh, so every cycle's decisions are new."""
        with self._lock:
            self._batch.calls.extend(_row(c) for c in calls)
            self._batch.decisions.extend(
                {**d.model_dump(), "payload": dict(p)} for d, p in decisions
            )
        return True

    def record_decisions(self, decisions: Sequence[tuple[Decision, dict[str, Any]]]) -> None:
        self.record_turn((), decisions)

    def save_ledger(self, snapshot: LedgerSnapshot, new_fills: Sequence[Fill] = ()) -> None:
        with self._lock:
            entry = self._batch.ledgers.get(snapshot.account_id)
            if entry is None:
                entry = self._batch.ledgers[snapshot.account_id] = _Ledger(snapshot)
            entry.snapshot = snapshot
            entry.orders.update((o.id, o) for o in snapshot.orders)
            entry.fills.extend(new_fills)

    def record_equity(
        self, account_id: str, timestamp: datetime, equity: Decimal, cash: Decimal
    ) -> None:
        row = {
            "account_id": account_id,
            "timestamp": timestamp,
            "equity": to_decimal(equity),
            "cash": to_decimal(cash),
        }
        with self._lock:
            self._batch.equity.append(row)

    def drain(self) -> _Batch:
        with self._lock:
            batch, self._batch = self._batch, _Batch()
        return batch

    @property
    def pending(self) -> int:
        return len(self._batch)


def _row(record: ModelCallRecord) -> dict[str, Any]:
    """The record's fields as a row (no deep copy of the request and response)."""
    return {name: getattr(record, name) for name in type(record).model_fields}


def flush_all(store: Store, buffers: Iterable[TickBuffer]) -> int:
    """Write every buffer's queue in one transaction; returns the number of items."""
    batches = [b.drain() for b in buffers]
    total = sum(len(b) for b in batches)
    if not total:
        return 0
    with store.transaction() as session:
        write_batch(session, batches)
    return total


def write_batch(session: Session, batches: Sequence[_Batch]) -> None:
    calls = [c for b in batches for c in b.calls]
    decisions = [d for b in batches for d in b.decisions]
    if calls:
        session.execute(insert(ModelCallRow), calls)
    if decisions:
        session.execute(insert(DecisionRow), decisions)
    _write_ledgers(session, [lg for b in batches for lg in b.ledgers.values()])
    equity = [e for b in batches for e in b.equity]
    upsert(session, EquityPointRow.__table__, equity, keys=["account_id", "timestamp"])


def _write_ledgers(session: Session, ledgers: Sequence[_Ledger]) -> None:
    """`storage.ledger.save_ledger` for several accounts at once (same rows, same rules)."""
    if not ledgers:
        return
    accounts, orders, positions, fills = [], [], [], []
    for entry in ledgers:
        snap = entry.snapshot
        account = snap.account_id
        accounts.append({
            "id": account, "cash": snap.cash, "last_equity": snap.last_equity,
            "equity_peak": snap.equity_peak, "day": snap.day, "updated_at": snap.updated_at,
        })  # fmt: skip
        orders.extend(order_rows(account, entry.orders.values()))
        positions.extend(position_row(account, p, snap.updated_at) for p in snap.positions)
        fills.extend(fill_row(account, f) for f in entry.fills)
    upsert(session, AccountRow.__table__, accounts, keys=["id"])
    upsert(session, OrderRow.__table__, orders, keys=["account_id", "id"])
    ids = [a["id"] for a in accounts]
    session.execute(delete(PositionRow).where(PositionRow.account_id.in_(ids)))
    if positions:
        session.execute(insert(PositionRow.__table__), positions)
    insert_missing(session, FillRow.__table__, fills, keys=["account_id", "id"])
