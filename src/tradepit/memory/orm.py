"""The memory's SQL table, in its own metadata (`MEMORY_METADATA`), created by `ensure_schema`.

Why not an Alembic revision next to the store's: the storage package's migration tests pin
its head revision and compare the migrated schema with `tradepit.storage.orm.Base`; a
memory table there would have to live in storage's ORM. Keeping it here makes the memory a
self-contained adapter on the same database (same engine, same transactions). The table uses
the store's column types and naming convention, so moving it into a storage migration later
is mechanical (see `ensure_schema`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Float, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tradepit.storage.engine import for_writing
from tradepit.storage.orm import NAMING_CONVENTION
from tradepit.storage.types import JsonDocument, UtcDateTime

MEMORY_METADATA = MetaData(naming_convention=NAMING_CONVENTION)


class MemoryBase(DeclarativeBase):
    metadata = MEMORY_METADATA
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime: UtcDateTime(),
        dict[str, Any]: JsonDocument,
    }


class MemoryEntryRow(MemoryBase):
    """One memory entry (decision, lesson or note). Vectors live in chromadb under `id`."""

    __tablename__ = "memory_entries"
    __table_args__ = (
        Index(None, "namespace", "created_at"),
        Index(None, "namespace", "content_hash"),
        Index(None, "outcome_at", "horizon_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    importance: Mapped[float] = mapped_column(Float)
    chunks: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str | None] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text)
    risk: Mapped[dict[str, Any] | None]
    situation: Mapped[dict[str, Any] | None]
    horizon_at: Mapped[datetime | None]
    outcome_at: Mapped[datetime | None]
    outcome: Mapped[dict[str, Any] | None]
    source_id: Mapped[str | None] = mapped_column(String(64))


def ensure_schema(engine: Engine) -> None:
    """Create the memory table if missing (idempotent, safe on every start). Equivalent to
    an Alembic `op.create_table` of `MemoryEntryRow` plus its three indexes."""
    with for_writing(engine).begin() as connection:  # SQLite: BEGIN IMMEDIATE serialises
        MEMORY_METADATA.create_all(connection, checkfirst=True)
