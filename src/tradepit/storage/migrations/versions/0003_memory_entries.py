"""Memory entries: the decision journal, lessons and notes of `tradepit.memory`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Databases where an earlier build of the memory created the table itself (same columns and
index names) keep it: the table is only created when missing.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "memory_entries"
INDEXES = (("namespace", "created_at"), ("namespace", "content_hash"), ("outcome_at", "horizon_at"))


def _json(name: str) -> sa.Column:
    return sa.Column(name, sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True)


def _time(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int | None = None, nullable: bool = False) -> sa.Column:
    kind = sa.Text() if length is None else sa.String(length=length)
    return sa.Column(name, kind, nullable=nullable)


def upgrade() -> None:
    if TABLE in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        TABLE,
        _text("id", 64),
        _text("namespace", 256),
        _text("kind", 16),
        _text("symbol", 32, nullable=True),
        _time("created_at", nullable=False),
        _text("text"),
        _text("content_hash", 64),
        sa.Column("importance", sa.Float(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        _text("run_id", 128, nullable=True),
        _text("action", 32, nullable=True),
        _text("rationale"),
        _json("risk"),
        _json("situation"),
        _time("horizon_at", nullable=True),
        _time("outcome_at", nullable=True),
        _json("outcome"),
        _text("source_id", 64, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_entries")),
    )
    for columns in INDEXES:
        op.create_index(op.f(f"ix_{TABLE}_{'_'.join(columns)}"), TABLE, list(columns))


def downgrade() -> None:
    op.drop_table(TABLE)
