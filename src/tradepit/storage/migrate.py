"""Programmatic Alembic: the script location is this package's `migrations/` directory, so
migrations run from an installed package and from any working directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from tradepit.storage.engine import for_writing

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
_PG_LOCK_KEY = 0x7472616465  # serialises concurrent migrations on one PostgreSQL database


def _escape(value: str) -> str:
    return value.replace("%", "%%")  # Config values go through ConfigParser interpolation


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic Config for tradepit's migrations, bound to `connection` (or `url`)."""
    config = Config()
    config.set_main_option("script_location", _escape(str(MIGRATIONS_DIR)))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", _escape(url))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run `alembic upgrade <revision>` in one transaction."""
    with for_writing(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        command.upgrade(alembic_config(connection), revision)
