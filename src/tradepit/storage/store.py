"""Store: the database behind the ledger, the decision journal, runs, equity curves, model
calls and trading flags.

One session per unit of work. `transaction()` commits on success and rolls back on any
error; database errors leave as StoreError. The store never reads the clock: every
timestamp is passed in. What runs on every agent turn or paper-broker change (trading
flags, model calls, decisions, equity points, ledger saves) goes through Core connections
instead: the same transactions without the ORM's session and unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Self, TypeVar

from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tradepit.config import Settings
from tradepit.domain.errors import StoreError
from tradepit.domain.models import Decision, Fill, TradingState
from tradepit.domain.ports import LedgerSnapshot
from tradepit.storage import agent_log, journal, ledger, migrate
from tradepit.storage.engine import for_writing, make_engine, parse_url
from tradepit.storage.lease import lease_for
from tradepit.storage.records import (
    DecisionRecord,
    EquityPoint,
    ModelCallRecord,
    RunKind,
    RunRecord,
    RunStatus,
    TradingFlag,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


def _describe(error: SQLAlchemyError) -> str:
    """First line of the driver's message (no SQL text, no parameters)."""
    cause: BaseException = error
    if isinstance(error, DBAPIError) and error.orig is not None:
        cause = error.orig
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


class Store:
    """SQLAlchemy-backed persistence; implements `tradepit.domain.ports.LedgerStore`.

    Thread-safe: each call opens its own session. The store owns its engine (`close()`
    disposes it).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writing = for_writing(engine)
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(self._writing, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, **engine_options: Any) -> Self:
        """Open `url` (postgresql:// is routed to psycopg 3); options go to create_engine."""
        return cls(make_engine(url, **engine_options))

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Open the configured database, creating the directory of a SQLite file."""
        url = parse_url(settings.resolved_database_url())
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return cls(make_engine(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- units of work -------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[Session]:
        """A read-write unit of work: committed on exit, rolled back on any exception."""
        return self._unit(self._writer.begin)

    def read(self) -> AbstractContextManager[Session]:
        """A read-only unit of work: every query in it sees the same snapshot."""
        return self._unit(self._reader.begin)

    def _write_connection(self) -> AbstractContextManager[Connection]:
        """`transaction()` as a Core connection (no ORM session), for the hot paths."""
        return self._unit(self._writing.begin)

    def _read_connection(self) -> AbstractContextManager[Connection]:
        """`read()` as a Core connection (rolled back on exit), for the hot paths."""
        return self._unit(self.engine.connect)

    @contextmanager
    def _unit(self, open_unit: Callable[[], AbstractContextManager[T]]) -> Iterator[T]:
        """The unit `open_unit` opens, its database errors raised as StoreError."""
        with self._translated(), open_unit() as unit:
            yield unit

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as e:
            message = _describe(e)
            log.debug("store operation failed: %s", message)  # the StoreError reports it
            raise StoreError(message) from e

    # --- schema --------------------------------------------------------------------------

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (Alembic `upgrade`); safe to call on every start."""
        with self._translated():
            try:
                migrate.upgrade(self.engine, revision)
            except CommandError as e:
                raise StoreError(f"migration to {revision!r} failed: {e}") from e

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (None before the first migration)."""
        with self._translated():
            return migrate.current_revision(self.engine)

    # --- LedgerStore ---------------------------------------------------------------------

    @contextmanager
    def account_lease(self, account_id: str, timeout_s: float) -> Iterator[None]:
        """Hold the paper account's lease (see `storage.lease`) inside the block: one writer
        per account across processes. AccountInUseError after waiting `timeout_s`."""
        lease = lease_for(self.engine, account_id)
        with self._translated():
            lease.acquire(timeout_s)
        try:
            yield
        finally:
            lease.release()

    def has_ledger(self, account_id: str) -> bool:
        with self.read() as session:
            return ledger.has_ledger(session, account_id)

    def load_ledger(self, account_id: str) -> LedgerSnapshot | None:
        with self.read() as session:
            return ledger.load_ledger(session, account_id)

    def save_ledger(self, snapshot: LedgerSnapshot, new_fills: Sequence[Fill] = ()) -> None:
        with self._write_connection() as connection:
            ledger.save_ledger(connection, snapshot, new_fills)

    def list_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        with self.read() as session:
            return ledger.list_fills(session, account_id, since)

    # --- journal -------------------------------------------------------------------------

    def record_equity(
        self, account_id: str, timestamp: datetime, equity: Decimal, cash: Decimal
    ) -> None:
        with self._write_connection() as connection:
            journal.record_equity(connection, account_id, timestamp, equity, cash)

    def equity_curve(self, account_id: str) -> list[EquityPoint]:
        with self.read() as session:
            return journal.equity_curve(session, account_id)

    def record_decision(self, decision: Decision, payload: dict[str, Any] | None = None) -> None:
        with self._write_connection() as connection:
            journal.insert_decisions(connection, [(decision, payload or {})])

    def record_decisions(self, decisions: Sequence[tuple[Decision, dict[str, Any]]]) -> None:
        """Journal several decisions (e.g. one per symbol of a cycle) in one transaction."""
        self.record_turn((), decisions)

    def record_turn(
        self,
        calls: Sequence[ModelCallRecord],
        decisions: Sequence[tuple[Decision, dict[str, Any]]],
    ) -> bool:
        """Model calls and the decisions of one (run, cycle) in one transaction. Decisions
        are skipped when that cycle already has some; returns whether they were written."""
        with self._write_connection() as connection:
            agent_log.insert_model_calls(connection, calls)
            if not decisions:
                return True
            first = decisions[0][0]
            if journal.has_decisions(connection, first.run_id, first.cycle):
                return False
            journal.insert_decisions(connection, decisions)
            return True

    def list_decisions(self, run_id: str, cycle: int | None = None) -> list[DecisionRecord]:
        with self.read() as session:
            return journal.list_decisions(session, run_id, cycle)

    def has_decisions(self, run_id: str, cycle: int) -> bool:
        """Whether the cycle has a recorded decision (cheaper than listing them)."""
        with self.read() as session:
            return journal.has_decisions(session, run_id, cycle)

    def last_cycle(self, run_id: str) -> int | None:
        """The highest cycle of `run_id` with a recorded decision."""
        with self.read() as session:
            return journal.last_cycle(session, run_id)

    def create_run(
        self,
        run_id: str,
        kind: RunKind | str,
        started_at: datetime,
        config: dict[str, Any] | None = None,
    ) -> RunRecord:
        with self.transaction() as session:
            return journal.create_run(session, run_id, kind, started_at, config or {})

    def finish_run(self, run_id: str, ended_at: datetime, status: RunStatus | str) -> RunRecord:
        with self.transaction() as session:
            return journal.finish_run(session, run_id, ended_at, status)

    def get_run(self, run_id: str) -> RunRecord | None:
        with self.read() as session:
            return journal.get_run(session, run_id)

    def list_runs(self, kind: RunKind | str | None = None) -> list[RunRecord]:
        with self.read() as session:
            return journal.list_runs(session, kind)

    # --- agent records -------------------------------------------------------------------

    def record_model_call(self, record: ModelCallRecord) -> None:
        with self._write_connection() as connection:
            agent_log.insert_model_calls(connection, [record])

    def list_model_calls(self, run_id: str, cycle: int | None = None) -> list[ModelCallRecord]:
        with self.read() as session:
            return agent_log.list_model_calls(session, run_id, cycle)

    def model_call_totals(self, run_id: str) -> tuple[int, Decimal]:
        """(tokens, dollars) the run's model calls have used so far."""
        with self.read() as session:
            return agent_log.model_call_totals(session, run_id)

    def set_trading_flag(self, scope: str, state: TradingState, reason: str, at: datetime) -> None:
        """Store the trading state of `scope` ("global" = every account; or a run id)."""
        with self.transaction() as session:
            agent_log.set_trading_flag(session, scope, state, reason, at)

    def get_trading_flag(self, scope: str) -> TradingFlag | None:
        with self.read() as session:
            return agent_log.get_trading_flag(session, scope)

    def halted_scopes(self) -> list[str]:
        """Every scope ("global" or a run id) whose kill switch is on."""
        with self.read() as session:
            return agent_log.halted_scopes(session)

    def get_trading_flags(self, scopes: Sequence[str]) -> list[TradingFlag]:
        """The stored flags of `scopes` (missing ones are left out), in one query."""
        with self._read_connection() as connection:
            return agent_log.get_trading_flags(connection, scopes)
