"""INSERT ... ON CONFLICT for SQLite and PostgreSQL (both dialects share the API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return sqlite_insert(table) if dialect == "sqlite" else pg_insert(table)


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    keep: Sequence[str] = ("pk",),
) -> None:
    """Insert `rows`; where `keys` already exist, overwrite every column but keys and `keep`."""
    if not rows:
        return
    stmt = _insert(session, table)
    frozen = set(keys) | set(keep)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in frozen}
    session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)


def insert_missing(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert `rows`, skipping those whose `keys` already exist (idempotent insert)."""
    if not rows:
        return
    stmt = _insert(session, table).on_conflict_do_nothing(index_elements=list(keys))
    session.execute(stmt, rows)
