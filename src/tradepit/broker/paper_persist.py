"""Paper account <-> `LedgerSnapshot`: what a save carries and how a restart restores it."""

from __future__ import annotations

from datetime import date, datetime

from tradepit.broker.paper_orders import counter_of, restore_orders
from tradepit.broker.paper_state import PaperState
from tradepit.domain.ports import LedgerSnapshot, LedgerStore


def open_ids(state: PaperState) -> set[str]:
    return {order.id for group in state.groups.values() for order in group}


def build_snapshot(state: PaperState, now: datetime, changed_only: bool) -> LedgerSnapshot:
    """Top-level orders carry their legs. `changed_only`: just the orders open now or at the
    previous save and those created since, i.e. every order that can have changed since
    (stores upsert by id)."""
    ledger = state.ledger
    if changed_only:
        changed = state.saved_open | open_ids(state) | state.unsaved
        tops = sorted((state.orders[i] for i in changed), key=lambda order: order.seq)
    else:
        tops = [order for order in state.orders.values() if order.parent is None]
    return LedgerSnapshot(
        account_id=state.account_id,
        cash=ledger.cash,
        last_equity=ledger.last_equity,
        equity_peak=ledger.equity_peak,
        day=ledger.day.isoformat() if ledger.day is not None else None,
        positions=tuple(ledger.positions()),
        orders=tuple(order.to_order() for order in tops),
        updated_at=now,
    )


def restore(state: PaperState, store: LedgerStore) -> None:
    """Load the account's snapshot and fills; id counters continue after the stored ones."""
    snapshot = store.load_ledger(state.account_id)
    if snapshot is not None:
        ledger = state.ledger
        ledger.cash = snapshot.cash
        ledger.last_equity = snapshot.last_equity
        ledger.equity_peak = snapshot.equity_peak
        ledger.day = date.fromisoformat(snapshot.day) if snapshot.day else None
        for position in snapshot.positions:
            ledger.restore_position(position)
        prefix = f"{state.account_id}-o"
        for order in restore_orders(snapshot.orders, prefix, ledger.day):
            state.register(order)
            state.order_seq = max(state.order_seq, counter_of(order.id, prefix))
        state.saved_open = open_ids(state)
    state.fills = list(store.list_fills(state.account_id))
    prefix = f"{state.account_id}-f"
    state.fill_seq = max((counter_of(fill.id, prefix) for fill in state.fills), default=0)
