"""The LedgerStore port: snapshot round trip, upserts, fills, and all-or-nothing saves."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradepit.domain.errors import StoreError
from tradepit.domain.models import (
    AssetClass,
    Fill,
    Order,
    OrderClass,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from tradepit.domain.ports import LedgerSnapshot, LedgerStore
from tradepit.storage import Store

T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)


def order(order_id: str, **changes) -> Order:
    values = {
        "id": order_id,
        "client_order_id": f"c-{order_id}",
        "symbol": "MSFT",
        "side": Side.BUY,
        "qty": Decimal("10"),
        "type": OrderType.MARKET,
        "time_in_force": TimeInForce.DAY,
        "status": OrderStatus.NEW,
        "created_at": T0,
        "updated_at": T0,
    }
    return Order(**{**values, **changes})


def bracket(status: OrderStatus = OrderStatus.FILLED) -> Order:
    # Leg ids sort "sl" < "tp": loading in id order would swap the legs.
    take_profit = order(
        "b1-tp",
        side=Side.SELL,
        type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        limit_price=Decimal("440.00"),
        order_class=OrderClass.BRACKET,
        parent_id="b1",
    )
    stop_loss = order(
        "b1-sl",
        side=Side.SELL,
        type=OrderType.STOP,
        time_in_force=TimeInForce.GTC,
        stop_price=Decimal("380.5"),
        order_class=OrderClass.BRACKET,
        parent_id="b1",
    )
    return order(
        "b1",
        type=OrderType.LIMIT,
        limit_price=Decimal("400.10"),
        order_class=OrderClass.BRACKET,
        status=status,
        filled_qty=Decimal("10") if status is OrderStatus.FILLED else Decimal("0"),
        filled_avg_price=Decimal("400.05") if status is OrderStatus.FILLED else None,
        updated_at=T0 + timedelta(minutes=1),
        legs=(take_profit, stop_loss),
    )


def snapshot(account_id: str = "acct", **changes) -> LedgerSnapshot:
    rejected = order(
        "r1",
        symbol="BTC/USD",
        qty=None,
        notional=Decimal("250.50"),
        status=OrderStatus.REJECTED,
        reject_reason="insufficient buying power: need 250.50, have 12.00 (ü)",
        created_at=T0 + timedelta(minutes=2),
        updated_at=T0 + timedelta(minutes=2),
    )
    values = {
        "account_id": account_id,
        "cash": Decimal("95999.5"),
        "last_equity": Decimal("100000"),
        "equity_peak": Decimal("100012.34"),
        "day": "2024-03-01",
        "positions": (
            Position(
                symbol="BTC/USD",
                qty=Decimal("0.00012345"),
                avg_entry_price=Decimal("61000.5"),
                market_price=Decimal("61010"),
                asset_class=AssetClass.CRYPTO,
            ),
            Position(
                symbol="MSFT",
                qty=Decimal("10"),
                avg_entry_price=Decimal("400.05"),
                market_price=Decimal("401.2"),
            ),
            Position(
                symbol="TSLA",
                qty=Decimal("-3"),
                avg_entry_price=Decimal("180"),
                market_price=Decimal("175.25"),
            ),
        ),
        "orders": (bracket(), rejected),
        "updated_at": T0 + timedelta(minutes=3),
    }
    return LedgerSnapshot(**{**values, **changes})


def fill(fill_id: str, order_id: str = "b1", minutes: int = 1, **changes) -> Fill:
    values = {
        "id": fill_id,
        "order_id": order_id,
        "client_order_id": f"c-{order_id}",
        "symbol": "MSFT",
        "side": Side.BUY,
        "qty": Decimal("5"),
        "price": Decimal("400.05"),
        "commission": Decimal("0.005"),
        "timestamp": T0 + timedelta(minutes=minutes),
    }
    return Fill(**{**values, **changes})


def test_store_implements_the_port(store: Store):
    port: LedgerStore = store
    assert port.load_ledger("nobody") is None


def test_snapshot_round_trip_with_bracket_legs(store: Store):
    saved = snapshot()
    store.save_ledger(saved, [fill("f1"), fill("f2", minutes=2)])
    loaded = store.load_ledger("acct")
    assert loaded == saved
    parent = loaded.orders[0]
    assert [leg.id for leg in parent.legs] == ["b1-tp", "b1-sl"]
    assert {leg.parent_id for leg in parent.legs} == {"b1"}
    assert len(loaded.orders) == 2  # legs are not repeated at top level
    assert loaded.orders[1].qty is None and loaded.orders[1].notional == Decimal("250.50")


def test_second_save_updates_orders_and_replaces_positions(store: Store):
    store.save_ledger(snapshot(orders=(bracket(OrderStatus.ACCEPTED),)))
    later = snapshot(
        cash=Decimal("1.23"),
        positions=snapshot().positions[1:2],
        updated_at=T0 + timedelta(hours=1),
    )
    store.save_ledger(later)
    loaded = store.load_ledger("acct")
    assert loaded == later
    assert loaded.orders[0].status is OrderStatus.FILLED
    assert [p.symbol for p in loaded.positions] == ["MSFT"]


def test_orders_missing_from_a_later_snapshot_are_kept(store: Store):
    store.save_ledger(snapshot())
    store.save_ledger(snapshot(orders=()))
    assert [o.id for o in store.load_ledger("acct").orders] == ["b1", "r1"]


def test_accounts_are_separate_even_with_the_same_order_ids(store: Store):
    store.save_ledger(snapshot("alpha"), [fill("f1")])
    store.save_ledger(snapshot("beta", cash=Decimal("7")), [fill("f1", qty=Decimal("1"))])
    assert store.load_ledger("alpha") == snapshot("alpha")
    assert store.load_ledger("beta").cash == Decimal("7")
    assert store.list_fills("alpha")[0].qty == Decimal("5")
    assert store.list_fills("beta")[0].qty == Decimal("1")


def test_fill_insert_is_idempotent_on_id(store: Store):
    store.save_ledger(snapshot(), [fill("f1"), fill("f2", minutes=2)])
    store.save_ledger(snapshot(), [fill("f2", minutes=2), fill("f3", minutes=3)])
    store.save_ledger(snapshot(), [fill("f1")])
    assert [f.id for f in store.list_fills("acct")] == ["f1", "f2", "f3"]
    assert store.list_fills("acct")[0] == fill("f1")


def test_list_fills_since_is_inclusive_and_ordered_by_time(store: Store):
    fills = [fill("f9", minutes=1), fill("f10", minutes=3), fill("f11", minutes=2)]
    store.save_ledger(snapshot(), fills)
    assert [f.id for f in store.list_fills("acct")] == ["f9", "f11", "f10"]
    since = T0 + timedelta(minutes=2)
    assert [f.id for f in store.list_fills("acct", since)] == ["f11", "f10"]
    assert store.list_fills("acct", T0 + timedelta(days=1)) == []
    assert store.list_fills("someone-else") == []


def test_failed_save_writes_nothing(store: Store):
    first = snapshot()
    store.save_ledger(first, [fill("f1")])
    changed = snapshot(
        cash=Decimal("0"),
        positions=(),
        orders=(*first.orders, order("o-new", created_at=T0 + timedelta(minutes=5))),
    )
    with pytest.raises(StoreError):
        # The last fill names an order that does not exist: a foreign-key violation that
        # happens after the account, orders and positions were already written.
        store.save_ledger(changed, [fill("f2", order_id="o-new"), fill("f3", order_id="ghost")])
    assert store.load_ledger("acct") == first
    assert [f.id for f in store.list_fills("acct")] == ["f1"]


def test_duplicate_client_order_id_is_a_store_error(store: Store):
    twins = (order("o1", client_order_id="same"), order("o2", client_order_id="same"))
    with pytest.raises(StoreError, match=r"(?i)unique"):
        store.save_ledger(snapshot(orders=twins))
    assert store.load_ledger("acct") is None


def test_naive_snapshot_time_is_a_store_error(store: Store):
    with pytest.raises(StoreError, match="naive datetime"):
        store.save_ledger(snapshot(updated_at=datetime(2024, 3, 1)))
    assert store.load_ledger("acct") is None


def test_restart_sees_the_saved_ledger(database, store: Store):
    store.save_ledger(snapshot(), [fill("f1")])
    store.close()
    with database.open() as restarted:
        restarted.migrate()
        assert restarted.load_ledger("acct") == snapshot()
        assert restarted.list_fills("acct") == [fill("f1")]
