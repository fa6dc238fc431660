"""Engine construction: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3).

On SQLite (WAL, synchronous=NORMAL: a commit survives a process crash; only a power loss
may undo the last commits, never corrupt the file), sqlite3's own implicit transaction
handling is switched off and every transaction
starts with an explicit BEGIN, so reads inside a transaction see one snapshot. Engines made
`for_writing` begin with BEGIN IMMEDIATE: the write lock is taken up front (waiting up to the
busy timeout) instead of failing when a read transaction later tries to write.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from tradepit.config import normalise_database_url
from tradepit.domain.errors import ConfigError

log = logging.getLogger(__name__)

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 15_000
_BEGIN_OPTION = "tradepit_sqlite_begin"


def dumps_json(value: Any) -> str:
    """JSON for JSON columns: Decimal as string, datetimes ISO 8601, models as dicts."""
    return json.dumps(value, default=to_jsonable_python, ensure_ascii=False)


def parse_url(url: str) -> URL:
    """Parse and check a database URL; raise ConfigError for an unusable one (naming the
    URL without its password)."""
    try:
        parsed = make_url(normalise_database_url(url))
    except ArgumentError as e:
        raise ConfigError(f"invalid database URL {hide_password(url)}: {e}") from None
    except ValueError:  # sqlalchemy's int() of the port
        raise ConfigError(
            f"invalid database URL {hide_password(url)}: its host:port cannot be read "
            "(the port must be a number)"
        ) from None
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"unsupported database {parsed.get_backend_name()!r}; "
            f"use one of {', '.join(SUPPORTED_BACKENDS)}"
        )
    return parsed


def hide_password(url: str) -> str:
    """`url` with the password of its ``user:password@`` part masked (works on URLs that
    cannot be parsed)."""
    return re.sub(r"(//[^/?#@:]*:)[^/?#]*@", r"\1***@", url)


def make_engine(
    url: str | URL, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **options: Any
) -> Engine:
    """Create an engine; `options` go to `sqlalchemy.create_engine` (e.g. connect_args)."""
    parsed = url if isinstance(url, URL) else parse_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    options.setdefault("json_serializer", dumps_json)
    if not sqlite:
        options.setdefault("pool_pre_ping", True)
    try:
        engine = create_engine(parsed, **options)
    except (ArgumentError, NoSuchModuleError, ImportError) as e:
        raise ConfigError(f"cannot use database URL {parsed!r}: {e}") from e
    if sqlite:
        _configure_sqlite(engine, busy_timeout_ms)
    log.debug("database engine created", extra={"url": repr(parsed)})
    return engine


def for_writing(engine: Engine) -> Engine:
    """The same engine (same pool), whose SQLite transactions begin IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")  # WAL: no fsync per commit
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")
