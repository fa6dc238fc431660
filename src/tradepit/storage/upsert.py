"""INSERT ... ON CONFLICT for SQLite and PostgreSQL (both dialects share the API).

The statements are built once per (table, dialect, keys) and reused: they are immutable,
and building the ``excluded`` mapping of every column costs more than running them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def _insert(dialect: str, table: Table) -> Any:
    return sqlite_insert(table) if dialect == "sqlite" else pg_insert(table)


def _dialect(session: Session | Connection) -> str:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name


@lru_cache(maxsize=64)
def _upsert_statement(
    table: Table, dialect: str, keys: tuple[str, ...], keep: tuple[str, ...]
) -> Any:
    stmt = _insert(dialect, table)
    frozen = set(keys) | set(keep)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in frozen}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)


@lru_cache(maxsize=64)
def _insert_missing_statement(table: Table, dialect: str, keys: tuple[str, ...]) -> Any:
    return _insert(dialect, table).on_conflict_do_nothing(index_elements=list(keys))


def upsert(
    session: Session | Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    keep: Sequence[str] = ("pk",),
) -> None:
    """Insert `rows`; where `keys` already exist, overwrite every column but keys and `keep`."""
    if not rows:
        return
    stmt = _upsert_statement(table, _dialect(session), tuple(keys), tuple(keep))
    session.execute(stmt, rows)


def insert_missing(
    session: Session | Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
) -> None:
    """Insert `rows`, skipping those whose `keys` already exist (idempotent insert)."""
    if not rows:
        return
    session.execute(_insert_missing_statement(table, _dialect(session), tuple(keys)), rows)
