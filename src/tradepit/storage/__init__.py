"""Persistence: SQLAlchemy 2 models, Alembic migrations, and the `Store`.

SQLite (WAL) by default, PostgreSQL (psycopg 3) by URL. `Store` implements the
`LedgerStore` port and records runs, decisions and equity curves.
"""

from tradepit.storage.records import (
    DecisionRecord,
    EquityPoint,
    ModelCallRecord,
    RunKind,
    RunRecord,
    RunStatus,
    TradingFlag,
)
from tradepit.storage.store import Store

__all__ = [
    "DecisionRecord",
    "EquityPoint",
    "ModelCallRecord",
    "RunKind",
    "RunRecord",
    "RunStatus",
    "Store",
    "TradingFlag",
]
