"""SQLAlchemy ORM rows. The migrations in `migrations/versions/` must match these.

Orders and fills are keyed per account by their broker id (`UNIQUE (account_id, id)`), so two
paper accounts may reuse the same id sequence. A surrogate `pk` keeps insertion order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tradepit.storage.types import JsonDocument, Money, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigIntPk = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit surrogate key; INTEGER on SQLite so it is the autoincrementing rowid."""

ID = 128
"""Length of ids (accounts, orders, fills, runs)."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        Decimal: Money(),
        datetime: UtcDateTime(),
        dict[str, Any]: JsonDocument,
    }


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    cash: Mapped[Decimal]
    last_equity: Mapped[Decimal]
    equity_peak: Mapped[Decimal]
    day: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime]


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account_id", "id"),
        UniqueConstraint("account_id", "client_order_id"),
        ForeignKeyConstraint(["account_id", "parent_id"], ["orders.account_id", "orders.id"]),
    )

    pk: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(ID), ForeignKey("accounts.id"))
    id: Mapped[str] = mapped_column(String(ID))
    client_order_id: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    qty: Mapped[Decimal | None]
    notional: Mapped[Decimal | None]
    type: Mapped[str] = mapped_column(String(16))
    time_in_force: Mapped[str] = mapped_column(String(8))
    limit_price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    order_class: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(String(ID))
    status: Mapped[str] = mapped_column(String(24))
    filled_qty: Mapped[Decimal]
    filled_avg_price: Mapped[Decimal | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    reject_reason: Mapped[str | None] = mapped_column(Text)


class FillRow(Base):
    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("account_id", "id"),
        ForeignKeyConstraint(["account_id", "order_id"], ["orders.account_id", "orders.id"]),
        Index(None, "account_id", "timestamp"),
    )

    pk: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(ID), ForeignKey("accounts.id"))
    id: Mapped[str] = mapped_column(String(ID))
    order_id: Mapped[str] = mapped_column(String(ID))
    client_order_id: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    qty: Mapped[Decimal]
    price: Mapped[Decimal]
    commission: Mapped[Decimal]
    timestamp: Mapped[datetime]


class PositionRow(Base):
    __tablename__ = "position_snapshots"

    account_id: Mapped[str] = mapped_column(String(ID), ForeignKey("accounts.id"), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    qty: Mapped[Decimal]
    avg_entry_price: Mapped[Decimal]
    market_price: Mapped[Decimal]
    asset_class: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[datetime]


class EquityPointRow(Base):
    """One point of an equity curve. `account_id` is the series key: an account or a run."""

    __tablename__ = "equity_points"
    __table_args__ = (UniqueConstraint("account_id", "timestamp"),)

    pk: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(ID))
    timestamp: Mapped[datetime]
    equity: Mapped[Decimal]
    cash: Mapped[Decimal]


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]]


class DecisionRow(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index(None, "run_id", "cycle"),)

    pk: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(ID), ForeignKey("runs.id"))
    cycle: Mapped[int]
    symbol: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime]
    backend: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]


class ModelCallRow(Base):
    """One model exchange: request, response, tokens, cost and latency (or the error)."""

    __tablename__ = "model_calls"
    __table_args__ = (Index(None, "run_id", "cycle"),)

    pk: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(ID))
    cycle: Mapped[int]
    seq: Mapped[int]
    thread_id: Mapped[str] = mapped_column(String(256))
    backend: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(128))
    request: Mapped[dict[str, Any]]
    response: Mapped[dict[str, Any]]
    input_tokens: Mapped[int]
    output_tokens: Mapped[int]
    cost_usd: Mapped[Decimal]
    latency_s: Mapped[float] = mapped_column(Float)
    error_type: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime]


class TradingFlagRow(Base):
    """A persisted trading state per scope ("global" or a run id): the kill switch."""

    __tablename__ = "trading_flags"

    scope: Mapped[str] = mapped_column(String(ID), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class MemoryEntryRow(Base):
    """One memory entry (decision, lesson or note) of `tradepit.memory`; its text chunks and
    situation vector live in chromadb under `id`."""

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
