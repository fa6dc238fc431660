"""The paper broker's state lives in the SQL store: a restarted process (new Store, new
broker) continues the same account, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradepit.broker import PaperBroker, PaperConfig
from tradepit.clock import ReplayClock
from tradepit.domain.errors import DuplicateClientOrderIdError
from tradepit.domain.models import Asset, Bar, OrderRequest, OrderStatus, Side

T0 = datetime(2024, 3, 4, tzinfo=UTC)


def bar(day: int, o, h, low, c) -> Bar:
    return Bar(
        symbol="ACME",
        timestamp=T0 + timedelta(days=day),
        open=Decimal(o),
        high=Decimal(h),
        low=Decimal(low),
        close=Decimal(c),
        volume=Decimal(10**6),
    )


def broker(clock, store) -> PaperBroker:
    config = PaperConfig(starting_cash=Decimal(50_000), commission_pct=Decimal("0.001"))
    return PaperBroker(clock, lambda s: Asset(symbol=s), config, store, account_id="acct-1")


def test_restart_on_the_sql_store_continues_the_account(database):
    clock = ReplayClock(T0)
    first_store = database.open()
    first_store.migrate()
    b = broker(clock, first_store)
    b.on_bar(bar(0, 100, 101, 99, 100))
    clock.advance_to(T0 + timedelta(days=1))
    b.submit_order(
        OrderRequest(
            symbol="ACME",
            side=Side.BUY,
            qty=Decimal(100),
            take_profit=Decimal(120),
            stop_loss=Decimal(90),
            client_order_id="entry-1",
        )
    )
    b.on_bar(bar(1, 101, 103, 100, 102))
    clock.advance_to(T0 + timedelta(days=2))
    before = (b.get_account(), b.get_positions(), b.list_orders("all"), b.get_fills())
    first_store.close()

    second_store = database.open()
    restarted = broker(clock, second_store)
    account, positions, orders, fills = before
    assert (
        restarted.get_account().cash
        == account.cash
        == Decimal(50_000) - Decimal(10_100) - Decimal("10.1")
    )
    assert restarted.get_positions() == positions
    assert restarted.list_orders("all") == orders
    assert restarted.get_fills() == fills
    with pytest.raises(DuplicateClientOrderIdError):
        restarted.submit_order(
            OrderRequest(symbol="ACME", side=Side.BUY, qty=Decimal(1), client_order_id="entry-1")
        )
    # the restored take-profit leg still works after the restart
    restarted.on_bar(bar(2, 110, 121, 109, 119))
    assert restarted.get_position("ACME") is None
    legs = {
        o.client_order_id: o.status for o in restarted.list_orders("all") if o.parent_id is not None
    }
    assert sorted(legs.values()) == [OrderStatus.CANCELED, OrderStatus.FILLED]
    assert len(second_store.list_fills("acct-1")) == 2
    second_store.close()
