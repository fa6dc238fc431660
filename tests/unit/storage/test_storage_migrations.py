"""Alembic migrations: they run from any cwd, are idempotent, and match the models."""

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tradepit.storage import Store
from tradepit.storage.migrate import MIGRATIONS_DIR, alembic_config, head_revision
from tradepit.storage.orm import Base

TABLES = {
    "accounts",
    "orders",
    "fills",
    "position_snapshots",
    "equity_points",
    "decisions",
    "runs",
    "model_calls",
    "trading_flags",
    "memory_entries",
}


def _diff(store: Store, metadata: sa.MetaData) -> list:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_migrations_ship_inside_the_package():
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert MIGRATIONS_DIR.parent.name == "storage"
    assert head_revision() == "0003"


def test_migrate_from_another_cwd_creates_every_table(database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = database.open()
    try:
        assert store.schema_revision() is None
        store.migrate()
        store.migrate()  # idempotent: a second start must not fail
        assert store.schema_revision() == head_revision()
        tables = set(sa.inspect(store.engine).get_table_names())
        assert tables >= TABLES | {"alembic_version"}
    finally:
        store.close()


def test_migrated_schema_matches_the_models(store: Store):
    assert _diff(store, Base.metadata) == []


def test_comparison_would_see_a_drift(store: Store):
    drifted = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["runs"].append_column(sa.Column("note", sa.Text(), nullable=True))
    drifted.tables["fills"].c.price.type = sa.Integer()
    kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in _diff(store, drifted)}
    assert kinds == {"add_column", "modify_type"}


def test_downgrade_to_base_removes_everything(store: Store):
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(sa.inspect(store.engine).get_table_names()) <= {"alembic_version"}
    store.migrate()
    assert set(sa.inspect(store.engine).get_table_names()) >= TABLES


def test_a_memory_table_created_before_its_migration_is_kept(database):
    """An earlier memory build created `memory_entries` itself; 0003 adopts it."""
    from datetime import UTC, datetime

    from tradepit.storage.orm import MemoryEntryRow

    store = database.open()
    try:
        store.migrate("0002")
        MemoryEntryRow.__table__.create(store.engine)
        row = {"id": "e1", "namespace": "user:a", "kind": "note", "text": "keep me",
               "content_hash": "h", "importance": 1.0, "chunks": 1, "rationale": "",
               "created_at": datetime(2020, 1, 1, tzinfo=UTC)}  # fmt: skip
        with store.engine.begin() as conn:
            conn.execute(MemoryEntryRow.__table__.insert(), [row])
        store.migrate()
        assert store.schema_revision() == head_revision() and _diff(store, Base.metadata) == []
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT text FROM memory_entries")).scalar() == "keep me"
    finally:
        store.close()
