"""A read-only `LedgerStore`: for commands that only show a paper account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tradepit.domain.errors import StoreError
from tradepit.domain.models import Fill
from tradepit.domain.ports import LedgerSnapshot, LedgerStore


class ReadOnlyLedger:
    """Loads from `store`, refuses every save (StoreError). A broker on it can show an
    account while another process holds the account's lease (`storage.lease`): it never
    writes, so it needs none."""

    def __init__(self, store: LedgerStore) -> None:
        self._store = store

    def load_ledger(self, account_id: str) -> LedgerSnapshot | None:
        return self._store.load_ledger(account_id)

    def list_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        return self._store.list_fills(account_id, since)

    def save_ledger(self, snapshot: LedgerSnapshot, new_fills: Sequence[Fill] = ()) -> None:
        raise StoreError(f"paper account {snapshot.account_id!r} is open read-only: not saved")
