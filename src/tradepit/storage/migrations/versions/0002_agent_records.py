"""Agent records: model calls (request, response, tokens, cost, latency) and trading flags.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 128


def _json(name: str) -> sa.Column:
    return sa.Column(name, sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "model_calls",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=ID), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.String(length=256), nullable=False),
        sa.Column("backend", sa.String(length=128), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        _json("request"),
        _json("response"),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Numeric().with_variant(sa.String(), "sqlite"), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=False),
        sa.Column("error_type", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_model_calls")),
    )
    op.create_index(op.f("ix_model_calls_run_id_cycle"), "model_calls", ["run_id", "cycle"])
    op.create_table(
        "trading_flags",
        sa.Column("scope", sa.String(length=ID), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_trading_flags")),
    )


def downgrade() -> None:
    op.drop_table("trading_flags")
    op.drop_index(op.f("ix_model_calls_run_id_cycle"), table_name="model_calls")
    op.drop_table("model_calls")
