"""In-memory `LedgerStore`: for tests and backtests (nothing survives the process)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from tradepit.domain.errors import StoreError
from tradepit.domain.models import Fill, Order
from tradepit.domain.ports import LedgerSnapshot


class InMemoryLedgerStore:
    """Per account: the latest snapshot, every order (upserted by id) and every fill.
    `save_ledger` is atomic under a lock, like the SQL store's transaction, and refuses a
    fill of an order it does not hold, like the SQL store's foreign key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: dict[str, LedgerSnapshot] = {}
        self._orders: dict[str, dict[str, Order]] = {}
        self._fills: dict[str, dict[str, Fill]] = {}
        self._ids: dict[str, set[str]] = {}
        """Per account: ids of the orders and legs saved so far."""
        self.saves = 0
        """Number of `save_ledger` calls (lets tests check that idle bars do not write)."""

    def load_ledger(self, account_id: str) -> LedgerSnapshot | None:
        """The last snapshot with every order ever saved, in first-saved order."""
        with self._lock:
            snapshot = self._snapshots.get(account_id)
            if snapshot is None:
                return None
            orders = tuple(self._orders[account_id].values())
            return snapshot.model_copy(update={"orders": orders})

    def save_ledger(self, snapshot: LedgerSnapshot, new_fills: Sequence[Fill] = ()) -> None:
        """Replace the snapshot, upsert its orders by id, add the fills not seen before."""
        with self._lock:
            account = snapshot.account_id
            ids = self._ids.setdefault(account, set())
            saved = {leg.id for order in snapshot.orders for leg in (order, *order.legs)}
            orphans = sorted({f.order_id for f in new_fills} - ids - saved)
            if orphans:
                raise StoreError(f"fills of orders that were never saved: {orphans}")
            ids |= saved
            orders = self._orders.setdefault(account, {})
            for order in snapshot.orders:
                orders[order.id] = order
            fills = self._fills.setdefault(account, {})
            for fill in new_fills:
                fills.setdefault(fill.id, fill)
            self._snapshots[account] = snapshot
            self.saves += 1

    def list_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        """Fills in the order saved; `since` is inclusive."""
        with self._lock:
            fills = self._fills.get(account_id, {}).values()
            return [f for f in fills if since is None or f.timestamp >= since]
