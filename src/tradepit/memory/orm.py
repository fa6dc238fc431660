"""The memory's SQL row. It lives with the store's models (`tradepit.storage.orm`) and its
table is created by the store's Alembic migrations (revision 0003); `ensure_schema` brings a
database there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradepit.storage.migrate import head_revision
from tradepit.storage.orm import MemoryEntryRow

if TYPE_CHECKING:
    from tradepit.storage import Store

__all__ = ["MemoryEntryRow", "ensure_schema"]


def ensure_schema(store: Store) -> None:
    """Migrate `store` to the current schema unless it is there already (idempotent, cheap
    on every start)."""
    if store.schema_revision() != head_revision():
        store.migrate()
