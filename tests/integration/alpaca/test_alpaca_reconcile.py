"""Startup reconciliation of an Alpaca account into the real Store (SQLite; PostgreSQL too
when TRADEPIT_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.integration.alpaca.conftest import NOW
from tests.integration.alpaca.fake_alpaca import Fault, fill_json, order_json, position_json

from tradepit.broker import alpaca_mapping
from tradepit.broker.reconcile import ReconciliationError, reconcile
from tradepit.clock import ReplayClock
from tradepit.domain.models import OrderStatus, Position
from tradepit.domain.ports import LedgerSnapshot
from tradepit.storage import Store
from tradepit.storage.engine import make_engine

ACCOUNT = "alpaca-paper-PA3TESTFAKE1"
LAST_RUN = datetime(2024, 3, 4, 15, 30, tzinfo=UTC)
PG_ENV = "TRADEPIT_TEST_DATABASE_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = Store.from_url(f"sqlite:///{tmp_path / 'tradepit.db'}")
        opened.migrate()
        yield opened
        opened.close()
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    schema = f"tradepit_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    opened = Store.from_url(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        opened.migrate()
        yield opened
    finally:
        opened.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _domain(raw: dict) -> object:
    from alpaca.trading.models import Order as AlpacaOrder

    return alpaca_mapping.to_order(AlpacaOrder(**raw))


@pytest.fixture
def world(fake, store):
    """The store as the last run left it, and the broker as it is now."""
    a = fake.add_order(
        order_json(
            "AAPL",
            "buy",
            "10",
            client_order_id="run1-c1-AAPL-0",
            type="limit",
            limit_price="190",
            at="2024-03-04T15:00:00Z",
        )
    )
    d = fake.add_order(
        order_json(
            "MSFT",
            "sell",
            "5",
            client_order_id="run1-c1-MSFT-0",
            type="limit",
            limit_price="420",
            at="2024-03-04T15:00:00Z",
        )
    )
    store.save_ledger(
        LedgerSnapshot(
            account_id=ACCOUNT,
            cash=Decimal(100000),
            last_equity=Decimal(100000),
            equity_peak=Decimal(102000),
            day="2024-03-04",
            positions=(
                Position(
                    symbol="SPY",
                    qty=Decimal(3),
                    avg_entry_price=Decimal(500),
                    market_price=Decimal(505),
                ),
            ),
            orders=(_domain(a), _domain(d)),
            updated_at=LAST_RUN,
        )
    )
    # while the bot was down: A filled, someone bought NVDA by hand (order F), placed an
    # open TSLA order (E), and GOOG shares arrived without a fill (a transfer)
    a.update(
        status="filled",
        filled_qty="10",
        filled_avg_price="189.5",
        updated_at="2024-03-04T16:00:00Z",
    )
    f = fake.add_order(
        order_json(
            "NVDA",
            "buy",
            "2",
            client_order_id="web-1",
            status="filled",
            filled_qty="2",
            filled_avg_price="880",
            at="2024-03-04T17:00:00Z",
        )
    )
    e = fake.add_order(
        order_json(
            "TSLA",
            "buy",
            "1",
            client_order_id="web-2",
            type="limit",
            limit_price="100",
            at="2024-03-04T18:00:00Z",
        )
    )
    fake.activities += [
        fill_json(a, "10", "189.5", "2024-03-04T16:00:00Z"),
        fill_json(f, "2", "880", "2024-03-04T17:00:00Z"),
    ]
    fake.positions += [
        position_json("SPY", "3", "500", "510"),
        position_json("AAPL", "10", "189.5", "191"),
        position_json("NVDA", "2", "880", "890"),
        position_json("GOOG", "1", "140", "141"),
    ]
    return {"a": a, "d": d, "e": e, "f": f}


def test_reconcile_brings_the_store_in_line(world, store, make_broker):
    report = reconcile(make_broker(), store, ACCOUNT, ReplayClock(NOW))

    assert [o.id for o in report.closed_while_down] == [world["a"]["id"]]
    assert report.closed_while_down[0].status is OrderStatus.FILLED
    assert {f.order_id for f in report.new_fills} == {world["a"]["id"], world["f"]["id"]}
    assert {o.client_order_id for o in report.unknown_orders} == {"web-1", "web-2"}
    external = {x.symbol: x.external_qty for x in report.external}
    assert external == {"NVDA": Decimal(2), "GOOG": Decimal(1)}  # AAPL is explained by fill A
    assert not report.clean

    saved = store.load_ledger(ACCOUNT)
    status = {o.client_order_id: o.status for o in saved.orders}
    assert status == {
        "run1-c1-AAPL-0": OrderStatus.FILLED,
        "run1-c1-MSFT-0": OrderStatus.ACCEPTED,
        "web-1": OrderStatus.FILLED,
        "web-2": OrderStatus.ACCEPTED,
    }
    assert {p.symbol: p.qty for p in saved.positions} == {
        "AAPL": Decimal(10),
        "GOOG": Decimal(1),
        "NVDA": Decimal(2),
        "SPY": Decimal(3),
    }
    assert saved.cash == Decimal(90000)
    assert saved.equity_peak == Decimal(102000)  # kept: higher than today's equity
    assert saved.updated_at == NOW
    fills = store.list_fills(ACCOUNT)
    assert [(f.client_order_id, f.qty, f.price) for f in fills] == [
        ("run1-c1-AAPL-0", Decimal(10), Decimal("189.5")),
        ("web-1", Decimal(2), Decimal(880)),
    ]


def test_second_reconcile_is_idempotent_and_adoption_sticks(world, store, make_broker):
    reconcile(make_broker(), store, ACCOUNT, ReplayClock(NOW))
    again = reconcile(make_broker(), store, ACCOUNT, ReplayClock(NOW))

    assert again.new_fills == () and again.closed_while_down == ()
    assert again.external == ()  # NVDA and GOOG were adopted into the store last time
    assert len(store.list_fills(ACCOUNT)) == 2


def test_broker_down_refuses_to_start_and_writes_nothing(world, store, fake, make_broker):
    before = store.load_ledger(ACCOUNT)
    fake.fail("GET /v2/positions", *[Fault(status=503)] * 4)
    with pytest.raises(ReconciliationError, match="reconciliation of"):
        reconcile(make_broker(attempts=4), store, ACCOUNT, ReplayClock(NOW))
    assert store.load_ledger(ACCOUNT) == before
    assert store.list_fills(ACCOUNT) == []


def test_an_open_order_unknown_to_the_broker_stops_reconciliation(world, store, fake, make_broker):
    del fake.orders[world["d"]["id"]]
    with pytest.raises(ReconciliationError, match="unknown to the broker"):
        reconcile(make_broker(), store, ACCOUNT, ReplayClock(NOW))
