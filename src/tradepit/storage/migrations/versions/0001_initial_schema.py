"""Initial schema: accounts, orders, fills, positions, equity, runs, decisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Column types are spelled out here (not imported from tradepit.storage.types) so this
revision stays as it was when later revisions change the models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 128


def _pk() -> sa.Column:
    return sa.Column(
        "pk",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _id(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=ID), nullable=nullable)


def _money(name: str, nullable: bool = False) -> sa.Column:
    """Exact decimal: unconstrained NUMERIC on PostgreSQL, decimal text on SQLite."""
    return sa.Column(name, sa.Numeric().with_variant(sa.String(), "sqlite"), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str) -> sa.Column:
    return sa.Column(name, sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)


def _str(name: str, length: int | None, nullable: bool = False) -> sa.Column:
    kind = sa.Text() if length is None else sa.String(length=length)
    return sa.Column(name, kind, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "accounts",
        _id("id"),
        _money("cash"),
        _money("last_equity"),
        _money("equity_peak"),
        _str("day", 10, nullable=True),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "equity_points",
        _pk(),
        _id("account_id"),
        _time("timestamp"),
        _money("equity"),
        _money("cash"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_equity_points")),
        sa.UniqueConstraint(
            "account_id", "timestamp", name=op.f("uq_equity_points_account_id_timestamp")
        ),
    )
    op.create_table(
        "runs",
        _id("id"),
        _str("kind", 16),
        _time("started_at"),
        _time("ended_at", nullable=True),
        _str("status", 16),
        _json("config"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_table(
        "decisions",
        _pk(),
        _id("run_id"),
        sa.Column("cycle", sa.Integer(), nullable=False),
        _str("symbol", 32, nullable=True),
        _str("action", 32),
        _str("rationale", None),
        _time("timestamp"),
        _str("backend", 128),
        _json("payload"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_decisions_run_id_runs")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_run_id_cycle"), "decisions", ["run_id", "cycle"])
    op.create_table(
        "orders",
        _pk(),
        _id("account_id"),
        _id("id"),
        _str("client_order_id", 128),
        _str("symbol", 32),
        _str("side", 8),
        _money("qty", nullable=True),
        _money("notional", nullable=True),
        _str("type", 16),
        _str("time_in_force", 8),
        _money("limit_price", nullable=True),
        _money("stop_price", nullable=True),
        _str("order_class", 16),
        _id("parent_id", nullable=True),
        _str("status", 24),
        _money("filled_qty"),
        _money("filled_avg_price", nullable=True),
        _time("created_at"),
        _time("updated_at"),
        _str("reject_reason", None, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id", "parent_id"],
            ["orders.account_id", "orders.id"],
            name=op.f("fk_orders_account_id_parent_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_orders_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "account_id", "client_order_id", name=op.f("uq_orders_account_id_client_order_id")
        ),
        sa.UniqueConstraint("account_id", "id", name=op.f("uq_orders_account_id_id")),
    )
    op.create_table(
        "position_snapshots",
        _id("account_id"),
        _str("symbol", 32),
        _money("qty"),
        _money("avg_entry_price"),
        _money("market_price"),
        _str("asset_class", 16),
        _time("as_of"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_position_snapshots_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "symbol", name=op.f("pk_position_snapshots")),
    )
    op.create_table(
        "fills",
        _pk(),
        _id("account_id"),
        _id("id"),
        _id("order_id"),
        _str("client_order_id", 128),
        _str("symbol", 32),
        _str("side", 8),
        _money("qty"),
        _money("price"),
        _money("commission"),
        _time("timestamp"),
        sa.ForeignKeyConstraint(
            ["account_id", "order_id"],
            ["orders.account_id", "orders.id"],
            name=op.f("fk_fills_account_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_fills_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_fills")),
        sa.UniqueConstraint("account_id", "id", name=op.f("uq_fills_account_id_id")),
    )
    op.create_index(op.f("ix_fills_account_id_timestamp"), "fills", ["account_id", "timestamp"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fills_account_id_timestamp"), table_name="fills")
    op.drop_table("fills")
    op.drop_table("position_snapshots")
    op.drop_table("orders")
    op.drop_index(op.f("ix_decisions_run_id_cycle"), table_name="decisions")
    op.drop_table("decisions")
    op.drop_table("runs")
    op.drop_table("equity_points")
    op.drop_table("accounts")
