"""Store fixtures.

`store` (migrated, closed afterwards) and `database` (to open more Stores on the same data)
run every test on SQLite in tmp_path and, when TRADEPIT_TEST_DATABASE_URL is set, on
PostgreSQL in a throwaway schema (random name, dropped afterwards), so parallel and repeated
runs never collide. `sqlite_database` and `postgres_database` give one backend only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tradepit.storage import Store
from tradepit.storage.engine import make_engine

PG_URL_ENV = "TRADEPIT_TEST_DATABASE_URL"


@dataclass(frozen=True)
class Database:
    """A test database. `open()` gives a new Store on it (a restart, or a second process)."""

    url: str
    engine_options: dict[str, Any] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    def open(self, **engine_options: Any) -> Store:
        return Store.from_url(self.url, **{**self.engine_options, **engine_options})


@contextmanager
def postgres_schema(url: str) -> Iterator[Database]:
    """A fresh schema on the server at `url`, made the connection's search_path."""
    schema = f"tradepit_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield Database(url, {"connect_args": {"options": f"-csearch_path={schema}"}})
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    """PostgreSQL only; skipped when TRADEPIT_TEST_DATABASE_URL is unset."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_URL_ENV} (e.g. postgresql://user@host/db)")
    with postgres_schema(url) as db:
        yield db


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """SQLite in tmp_path, then PostgreSQL (see `postgres_database`)."""
    if request.param == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'tradepit.db'}")
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'tradepit.db'}")


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    """A migrated Store on `database`."""
    opened = database.open()
    opened.migrate()
    yield opened
    opened.close()
