"""Runs, decisions and equity curves, as functions of one Session (or, for the statements
an agent cycle runs every turn, of one Core Connection)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.orm import Session

from tradepit.domain.errors import StoreError
from tradepit.domain.models import Decision
from tradepit.storage.orm import DecisionRow, EquityPointRow, RunRow
from tradepit.storage.records import DecisionRecord, EquityPoint, RunKind, RunRecord, RunStatus
from tradepit.storage.types import to_decimal
from tradepit.storage.upsert import upsert

_DECISIONS = DecisionRow.__table__
# Statements run on every agent turn, built once (building one costs more than running it).
_INSERT_DECISIONS = insert(_DECISIONS)
_ANY_DECISION = (
    select(_DECISIONS.c.pk)
    .where(_DECISIONS.c.run_id == bindparam("run_id"), _DECISIONS.c.cycle == bindparam("cycle"))
    .limit(1)
)


def record_equity(
    session: Session | Connection,
    account_id: str,
    timestamp: datetime,
    equity: Decimal | float,
    cash: Decimal | float,
) -> None:
    """Add a point to the equity curve; recording the same timestamp again replaces it."""
    row = {
        "account_id": account_id,
        "timestamp": timestamp,
        "equity": to_decimal(equity),
        "cash": to_decimal(cash),
    }
    upsert(session, EquityPointRow.__table__, [row], keys=["account_id", "timestamp"])


def equity_curve(session: Session, account_id: str) -> list[EquityPoint]:
    query = (
        select(EquityPointRow)
        .where(EquityPointRow.account_id == account_id)
        .order_by(EquityPointRow.timestamp)
    )
    return [
        EquityPoint(timestamp=r.timestamp, equity=r.equity, cash=r.cash)
        for r in session.scalars(query)
    ]


def insert_decisions(
    connection: Session | Connection, decisions: Sequence[tuple[Decision, dict[str, Any]]]
) -> None:
    """Journal decisions in one statement, in the given order. Their run must exist (see
    `create_run`)."""
    rows = [{**d.model_dump(), "payload": dict(p)} for d, p in decisions]
    if rows:
        connection.execute(_INSERT_DECISIONS, rows)


def list_decisions(session: Session, run_id: str, cycle: int | None = None) -> list[DecisionRecord]:
    """Decisions of a run (or of one of its cycles) by cycle, in recording order within a
    cycle."""
    query = select(DecisionRow).where(DecisionRow.run_id == run_id)
    if cycle is not None:
        query = query.where(DecisionRow.cycle == cycle)
    query = query.order_by(DecisionRow.cycle, DecisionRow.pk)
    return [_decision(row) for row in session.scalars(query)]


def has_decisions(session: Session | Connection, run_id: str, cycle: int) -> bool:
    return session.scalar(_ANY_DECISION, {"run_id": run_id, "cycle": cycle}) is not None


def last_cycle(session: Session, run_id: str) -> int | None:
    """The highest cycle with a recorded decision (None when there is none)."""
    return session.scalar(select(func.max(DecisionRow.cycle)).where(DecisionRow.run_id == run_id))


def create_run(
    session: Session,
    run_id: str,
    kind: RunKind | str,
    started_at: datetime,
    config: dict[str, Any],
) -> RunRecord:
    """Start a run (status `running`). A second run with the same id fails with StoreError."""
    row = RunRow(
        id=run_id,
        kind=RunKind(kind).value,
        started_at=started_at,
        ended_at=None,
        status=RunStatus.RUNNING.value,
        config=dict(config),
    )
    session.add(row)
    session.flush()
    session.refresh(row)  # return what was stored (JSON round trip, UTC times)
    return _run(row)


def finish_run(
    session: Session, run_id: str, ended_at: datetime, status: RunStatus | str
) -> RunRecord:
    """Close a run with its final status; raise StoreError when the run does not exist."""
    row = session.get(RunRow, run_id)
    if row is None:
        raise StoreError(f"no run {run_id!r} to finish")
    row.ended_at = ended_at
    row.status = RunStatus(status).value
    session.flush()
    session.refresh(row)
    return _run(row)


def get_run(session: Session, run_id: str) -> RunRecord | None:
    row = session.get(RunRow, run_id)
    return None if row is None else _run(row)


def list_runs(session: Session, kind: RunKind | str | None = None) -> list[RunRecord]:
    """Runs oldest first, optionally of one kind."""
    query = select(RunRow).order_by(RunRow.started_at, RunRow.id)
    if kind is not None:
        query = query.where(RunRow.kind == RunKind(kind).value)
    return [_run(row) for row in session.scalars(query)]


def _run(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        kind=RunKind(row.kind),
        started_at=row.started_at,
        ended_at=row.ended_at,
        status=RunStatus(row.status),
        config=row.config,
    )


def _decision(row: DecisionRow) -> DecisionRecord:
    decision = Decision(
        run_id=row.run_id,
        cycle=row.cycle,
        symbol=row.symbol,
        action=row.action,
        rationale=row.rationale,
        timestamp=row.timestamp,
        backend=row.backend,
    )
    return DecisionRecord(decision=decision, payload=row.payload)
