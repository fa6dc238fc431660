"""Model calls and trading flags, as functions of one Session (or, for the statements an
agent cycle runs every turn, of one Core Connection)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.orm import Session

from tradepit.domain.models import TradingState
from tradepit.storage.orm import ModelCallRow, TradingFlagRow
from tradepit.storage.records import ModelCallRecord, TradingFlag
from tradepit.storage.upsert import upsert

_CALL_FIELDS = tuple(ModelCallRecord.model_fields)
# Statements run on every agent turn, built once (building one costs more than running it).
_INSERT_CALLS = insert(ModelCallRow.__table__)
_FLAGS = TradingFlagRow.__table__
_SELECT_FLAGS = select(_FLAGS.c.scope, _FLAGS.c.state, _FLAGS.c.reason, _FLAGS.c.updated_at).where(
    _FLAGS.c.scope.in_(bindparam("scopes", expanding=True))
)


def insert_model_calls(session: Session | Connection, records: Sequence[ModelCallRecord]) -> None:
    """Insert `records` in one statement (rows in the given order)."""
    if records:
        session.execute(_INSERT_CALLS, [_call_row(r) for r in records])


def _call_row(record: ModelCallRecord) -> dict[str, object]:
    """The row of `record`: its field values as they are (no copy of the request and
    response documents, which can be long conversations)."""
    return {name: getattr(record, name) for name in _CALL_FIELDS}


def list_model_calls(
    session: Session, run_id: str, cycle: int | None = None
) -> list[ModelCallRecord]:
    """Calls of a run (optionally one cycle) by cycle, then in recording order."""
    query = select(ModelCallRow).where(ModelCallRow.run_id == run_id)
    if cycle is not None:
        query = query.where(ModelCallRow.cycle == cycle)
    query = query.order_by(ModelCallRow.cycle, ModelCallRow.pk)
    return [_call(row) for row in session.scalars(query)]


def model_call_totals(session: Session, run_id: str) -> tuple[int, Decimal]:
    """(tokens, dollars) spent by a run so far. Dollars are summed in Python: Money is text
    on SQLite."""
    tokens = session.scalar(
        select(
            func.coalesce(func.sum(ModelCallRow.input_tokens + ModelCallRow.output_tokens), 0)
        ).where(ModelCallRow.run_id == run_id)
    )
    costs = session.scalars(select(ModelCallRow.cost_usd).where(ModelCallRow.run_id == run_id))
    return int(tokens or 0), sum(costs, Decimal(0))


def set_trading_flag(
    session: Session, scope: str, state: TradingState, reason: str, at: datetime
) -> None:
    row = {"scope": scope, "state": TradingState(state).value, "reason": reason, "updated_at": at}
    upsert(session, TradingFlagRow.__table__, [row], keys=["scope"], keep=())


def get_trading_flag(session: Session, scope: str) -> TradingFlag | None:
    row = session.get(TradingFlagRow, scope)
    return None if row is None else _flag(row)


def get_trading_flags(session: Session | Connection, scopes: Sequence[str]) -> list[TradingFlag]:
    rows = session.execute(_SELECT_FLAGS, {"scopes": list(scopes)})
    return [_flag(row) for row in rows]


def halted_scopes(session: Session) -> list[str]:
    """Scopes whose stored state is HALTED, in name order."""
    query = select(TradingFlagRow.scope).where(TradingFlagRow.state == TradingState.HALTED.value)
    return list(session.scalars(query.order_by(TradingFlagRow.scope)))


def _flag(row: Any) -> TradingFlag:
    """A flag from a TradingFlagRow or a result row with the same columns."""
    return TradingFlag(
        scope=row.scope, state=TradingState(row.state), reason=row.reason, updated_at=row.updated_at
    )


def _call(row: ModelCallRow) -> ModelCallRecord:
    return ModelCallRecord(
        run_id=row.run_id,
        cycle=row.cycle,
        seq=row.seq,
        thread_id=row.thread_id,
        backend=row.backend,
        model=row.model,
        request=row.request,
        response=row.response,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=row.cost_usd,
        latency_s=row.latency_s,
        error_type=row.error_type,
        error=row.error,
        timestamp=row.timestamp,
    )
