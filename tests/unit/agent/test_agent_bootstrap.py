"""The composition root: checkpointer choice, offline wiring, the paper account in the store."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from tradepit.bootstrap import (
    bundled_source,
    end_of_data,
    open_app,
    open_checkpointer,
    postgres_checkpointer,
)
from tradepit.config import Settings
from tradepit.domain.errors import AccountInUseError


def test_sqlite_checkpoints_live_under_home(tmp_path: Path):
    with open_checkpointer(Settings(home=tmp_path / "h")) as saver:
        assert isinstance(saver, SqliteSaver)
    assert (tmp_path / "h" / "checkpoints.db").is_file()


@pytest.mark.postgres
def test_postgres_checkpoints_by_url(tmp_path: Path):
    url = os.environ.get("TRADEPIT_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests need TRADEPIT_TEST_DATABASE_URL")
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver

    schema = f"tradepit_boot_{uuid.uuid4().hex[:10]}"
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        scoped = f"{dsn}{'&' if '?' in dsn else '?'}options=-csearch_path%3D{schema}"
        with open_checkpointer(Settings(home=tmp_path, checkpoint_url=scoped)) as saver:
            assert isinstance(saver, PostgresSaver)
        assert not (tmp_path / "checkpoints.db").exists()
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def first_checkpoint(dsn: str, options: str, start: threading.Barrier, errors: list) -> None:
    start.wait()
    try:
        with postgres_checkpointer(dsn, options=options):
            pass
    except Exception as e:  # noqa: BLE001 - collected and asserted by the test
        errors.append(repr(e))


@pytest.mark.postgres
def test_postgres_checkpoint_tables_are_created_once_by_concurrent_first_users():
    """Several processes' first use of a fresh database (threads here: one connection
    each) take turns in the saver's setup: no duplicate-type error from its CREATE TABLEs."""
    url = os.environ.get("TRADEPIT_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests need TRADEPIT_TEST_DATABASE_URL")
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    for _ in range(3):  # without the lock every round failed; one round is not proof
        schema = f"tradepit_setup_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        start, errors = threading.Barrier(4), []
        args = (dsn, f"-csearch_path={schema}", start, errors)
        workers = [threading.Thread(target=first_checkpoint, args=args) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        with psycopg.connect(dsn, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            ).fetchone()[0]
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        assert errors == []
        assert tables == 4  # checkpoints, checkpoint_blobs, checkpoint_writes, migrations


def test_open_app_is_offline_and_persists_the_paper_account(tmp_path: Path):
    settings = Settings(home=tmp_path, model="rules:supertrend", account_id="acct-1")
    with open_app(settings) as app:
        assert app.clock.now() == end_of_data(bundled_source())
        assert app.backend.name == "rules:supertrend"
        reply = app.service.chat("t", "buy 10 MSFT")
        assert reply.actions == {"MSFT": "buy"}
    with open_app(settings) as again:
        # chat at the end of the data fills at the last price: the fill and the position
        # come back after the restart, the protective stop keeps resting
        [order] = [o for o in again.broker.list_orders("all") if o.parent_id is None]
        assert order.client_order_id == "chat-t-1-MSFT-buy"
        assert order.status.value == "filled"
        assert again.broker.get_position("MSFT").qty == 10
        assert [o.order_class for o in again.broker.list_orders("open")] != []
        assert again.store.list_decisions("chat-t")[0].decision.action == "buy"


def test_open_app_holds_its_paper_account_until_it_closes(tmp_path: Path):
    """A second app on the account is refused while the first is open (not a second
    in-memory copy that would overwrite the first's orders); after it closes, the next one
    starts from the first's saves: its order ids continue."""
    settings = Settings(
        home=tmp_path, model="rules:supertrend", memory_backend="off", account_lock_timeout_s=0.2
    )
    with open_app(settings) as app:
        app.service.chat("t1", "buy 1 MSFT")
        with pytest.raises(AccountInUseError, match="'paper-default'"), open_app(settings):
            pytest.fail("a second app opened the held account")
        with open_app(settings, account_id="another"):
            pass
    with open_app(settings) as again:
        again.service.chat("t2", "buy 1 MSFT")
        buys = [o.id for o in again.broker.list_orders("all") if o.parent_id is None]
        assert buys == ["paper-default-o1", "paper-default-o4"]
        assert again.broker.get_position("MSFT").qty == 2
