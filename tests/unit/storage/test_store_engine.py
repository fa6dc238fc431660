"""Store construction, SQLite pragmas, transactions, error translation, WAL concurrency."""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import exc, text

from tradepit.config import Settings
from tradepit.domain.errors import ConfigError, StoreError
from tradepit.storage import Store, journal

T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)


def run_ids(session) -> list[str]:
    return list(session.scalars(text("SELECT id FROM runs ORDER BY id")))


def test_from_settings_creates_the_home_and_a_wal_database(tmp_path):
    home = tmp_path / "nested" / "home"
    settings = Settings(_env_file=None, home=home, database_url=None)
    with Store.from_settings(settings) as store:
        store.migrate()
        assert store.dialect == "sqlite"
        with store.read() as session:
            pragmas = [
                session.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    assert (home / "tradepit.db").is_file()
    assert pragmas == ["wal", 1, 15000]


def test_postgres_urls_use_psycopg_3_without_connecting():
    settings = Settings(_env_file=None, database_url="postgresql://u@db.invalid:5432/x")
    store = Store.from_settings(settings)
    assert store.engine.url.drivername == "postgresql+psycopg"
    store.close()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_unsupported_urls_are_config_errors(url):
    with pytest.raises(ConfigError):
        Store.from_url(url)


def test_a_port_that_is_no_number_names_the_url_without_its_password():
    with pytest.raises(ConfigError) as caught:
        Store.from_url("postgresql://postgres:pw-SECRET@127.0.0.1:notaport/x")
    message = str(caught.value)
    assert message.startswith("invalid database URL postgresql://postgres:***@127.0.0.1:notaport/x")
    assert "port must be a number" in message and "SECRET" not in message


def test_a_failed_operation_is_raised_not_also_logged(store: Store, caplog):
    """The CLI printed it twice: the log line, then the error."""
    store.create_run("run-1", "cycle", T0, {})
    with caplog.at_level(logging.INFO), pytest.raises(StoreError):
        store.create_run("run-1", "cycle", T0, {})
    assert [r.getMessage() for r in caplog.records if r.name.startswith("tradepit")] == []


def test_transaction_rolls_back_on_a_caller_error(store: Store):
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as session:
        journal.create_run(session, "half", "cycle", T0, {})
        journal.record_equity(session, "acct", T0, Decimal(1), Decimal(1))
        raise RuntimeError("boom")
    assert store.list_runs() == []
    assert store.equity_curve("acct") == []


def test_vendor_errors_become_store_errors_with_the_cause(store: Store):
    store.create_run("run-1", "cycle", T0, {})
    with pytest.raises(StoreError) as caught:
        store.create_run("run-1", "cycle", T0, {})
    assert isinstance(caught.value.__cause__, exc.IntegrityError)
    with pytest.raises(StoreError) as caught, store.transaction() as session:
        session.execute(text("SELECT * FROM no_such_table"))
    assert isinstance(caught.value.__cause__, exc.SQLAlchemyError)


def test_unreachable_database_is_a_store_error(tmp_path):
    store = Store.from_url(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    with pytest.raises(StoreError):
        store.migrate()
    store.close()


def test_wal_reader_keeps_its_snapshot_while_a_writer_commits(sqlite_database):
    writer = sqlite_database.open(busy_timeout_ms=200)
    writer.migrate()
    reader = sqlite_database.open(busy_timeout_ms=200)
    try:
        writer.create_run("before", "cycle", T0, {})
        with writer.transaction() as session:
            journal.create_run(session, "pending", "cycle", T0, {})
            started = time.perf_counter()
            assert [r.id for r in reader.list_runs()] == ["before"]  # not blocked, no dirty read
            assert time.perf_counter() - started < 0.15
        with reader.read() as snapshot:
            assert run_ids(snapshot) == ["before", "pending"]
            # Commits while the read transaction is open: only possible in WAL mode.
            writer.create_run("during", "cycle", T0, {})
            assert run_ids(snapshot) == ["before", "pending"]
        assert [r.id for r in reader.list_runs()] == ["before", "during", "pending"]
    finally:
        writer.close()
        reader.close()


def test_second_writer_waits_for_the_first(sqlite_database):
    first = sqlite_database.open()
    first.migrate()
    second = sqlite_database.open()
    holding = threading.Event()

    def hold_the_write_lock() -> None:
        with first.transaction() as session:
            journal.create_run(session, "first", "cycle", T0, {})
            holding.set()
            time.sleep(0.3)

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            holder = pool.submit(hold_the_write_lock)
            assert holding.wait(5)
            started = time.perf_counter()
            second.create_run("second", "cycle", T0, {})
            waited = time.perf_counter() - started
            holder.result(5)  # re-raises whatever failed in the thread
        assert waited > 0.1  # it waited on the busy timeout instead of failing
        assert [r.id for r in second.list_runs()] == ["first", "second"]
    finally:
        first.close()
        second.close()
