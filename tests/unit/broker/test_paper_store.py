"""Persistence: a restarted broker on the same store continues the same account."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tradepit.broker import InMemoryLedgerStore, PaperBroker
from tradepit.broker.paper_orders import restore_orders
from tradepit.domain.errors import StoreError
from tradepit.domain.models import OrderRequest, OrderStatus, OrderType, Side, TimeInForce

BUY, SELL = Side.BUY, Side.SELL
DAY = timedelta(days=1)


def D(value: object) -> Decimal:
    return Decimal(str(value))


def restart(sim, store) -> None:
    """Replace the sim's broker by a new one on the same clock and store."""
    old = sim.broker
    sim.broker = PaperBroker(sim.clock, old._state._assets, old.config, store, old.account_id)


def test_restart_continues_cash_positions_orders_and_fills(make_sim) -> None:
    store = InMemoryLedgerStore()
    s = make_sim(store=store, commission_pct=D("0.001"))
    s.step(100)
    s.broker.submit_order(
        OrderRequest(symbol="AAA", side=BUY, qty=D(10), take_profit=D(120), stop_loss=D(90))
    )
    s.step(101, 102, 100, 102)
    waiting = s.broker.submit_order(
        OrderRequest(
            symbol="AAA", side=BUY, qty=D(5), type=OrderType.LIMIT, limit_price=D(95),
            client_order_id="dip",
        )
    )  # fmt: skip
    before_account = s.broker.get_account()
    before_orders = s.broker.list_orders("all")
    before_fills = s.broker.get_fills()

    restart(s, store)

    after = s.broker.get_account()
    for field in ("cash", "equity", "last_equity", "equity_peak", "buying_power"):
        assert getattr(after, field) == getattr(before_account, field), field
    assert s.broker.get_position("AAA").qty == 10
    assert s.broker.list_orders("all") == before_orders
    assert s.broker.get_fills() == before_fills
    assert s.broker.get_order_by_client_id("dip").id == waiting.id
    # the restored orders keep working: the dip buy and the take-profit fill
    fills = s.step(96, 121, 94, 120)
    assert [(f.side, f.price) for f in fills] == [(SELL, D(120)), (BUY, D(95))]  # by creation
    assert s.broker.get_position("AAA").qty == 5
    # new ids continue the sequence instead of reusing old ones
    fresh = s.broker.submit_order(OrderRequest(symbol="AAA", side=SELL, qty=D(1)))
    ids = {o.id for o in before_orders}
    assert fresh.id not in ids and fresh.client_order_id not in {
        o.client_order_id for o in before_orders
    }
    assert len({f.id for f in s.broker.get_fills()}) == len(s.broker.get_fills())


def test_restart_keeps_a_day_orders_session(make_sim) -> None:
    store = InMemoryLedgerStore()
    s = make_sim(store=store)
    s.step(100)
    order = s.broker.submit_order(
        OrderRequest(
            symbol="AAA", side=BUY, qty=D(1), type=OrderType.LIMIT, limit_price=D(90),
            time_in_force=TimeInForce.DAY,
        )
    )  # fmt: skip
    s.step(100, 101, 95, 100)  # its session bar began the instant it was created
    restart(s, store)
    assert s.step(89, 90, 88, 89) == []  # next session: expired, not filled
    assert s.broker.get_order(order.id).status is OrderStatus.EXPIRED


def test_restart_before_a_day_orders_session_keeps_it_waiting(make_sim) -> None:
    store = InMemoryLedgerStore()
    s = make_sim(store=store)
    s.step(100)
    s.skip_days(1)  # sent a day after the last bar (a weekend, say)
    s.broker.submit_order(
        OrderRequest(
            symbol="AAA", side=BUY, qty=D(1), type=OrderType.LIMIT, limit_price=D(90),
            time_in_force=TimeInForce.DAY,
        )
    )  # fmt: skip
    restart(s, store)
    assert [f.price for f in s.step(89, 90, 88, 89)] == [D(89)]  # its first session


def test_saves_only_on_changes_and_in_one_call_with_the_fills(make_sim) -> None:
    store = InMemoryLedgerStore()
    s = make_sim(store=store)
    s.step(100)
    s.step(100, advance=False)  # a new session, but flat: nothing to save
    s.broker.on_bar(s.bar(100, 100, 100, 100, symbol="BBB"))
    s.broker.mark("AAA", D(101))
    assert store.saves == 0
    s.close_bar()
    s.broker.submit_order(OrderRequest(symbol="AAA", side=BUY, qty=D(3)))
    assert store.saves == 1
    s.step(100, 101, 99, 101)  # the fill: one save with the fill in it
    assert store.saves == 2
    assert [f.qty for f in store.list_fills("paper")] == [D(3)]
    assert store.load_ledger("paper").positions[0].qty == 3
    s.step(102, advance=False)  # new session with a position: last_equity moved -> saved
    assert store.saves == 3
    assert store.load_ledger("paper").last_equity == D(100000) + 3
    s.broker.on_bar(s.bar(102, 102, 102, 102, at=s.next_ts))  # same session, no orders
    assert store.saves == 3


def test_store_keeps_accounts_apart(make_sim) -> None:
    store = InMemoryLedgerStore()
    a = make_sim(store=store, account_id="a")
    b = make_sim(store=store, account_id="b")
    for sim in (a, b):
        sim.step(100)
    a.broker.submit_order(OrderRequest(symbol="AAA", side=BUY, qty=D(1)))
    a.step(100)
    assert len(store.list_fills("a")) == 1 and store.list_fills("b") == []
    assert store.load_ledger("a").positions[0].qty == 1
    assert store.load_ledger("b") is None  # b never changed, so it never wrote


class RecordingStore(InMemoryLedgerStore):
    def __init__(self) -> None:
        super().__init__()
        self.snapshots = []

    def save_ledger(self, snapshot, new_fills=()) -> None:
        self.snapshots.append(snapshot)
        super().save_ledger(snapshot, new_fills)


def test_saves_carry_only_orders_that_can_have_changed(make_sim) -> None:
    store = RecordingStore()
    s = make_sim(store=store)
    s.step(100)
    done = [s.broker.submit_order(OrderRequest(symbol="AAA", side=BUY, qty=D(1)))]
    s.step(100)
    done.append(s.broker.submit_order(OrderRequest(symbol="AAA", side=BUY, qty=D(1))))
    s.step(100)
    assert [o.id for o in store.snapshots[-1].orders] == [done[1].id]  # filled in this save
    rest = s.broker.submit_order(
        OrderRequest(symbol="AAA", side=SELL, qty=D(1), type=OrderType.LIMIT, limit_price=D(200))
    )
    assert [o.id for o in store.snapshots[-1].orders] == [rest.id]
    restart(s, store)
    assert [o.id for o in s.broker.list_orders("all")] == [done[0].id, done[1].id, rest.id]
    assert [o.id for o in s.broker.list_orders("open")] == [rest.id]


def test_restore_accepts_legs_flat_or_nested(make_sim) -> None:
    s = make_sim()
    s.step(100)
    parent = s.broker.submit_order(
        OrderRequest(symbol="AAA", side=BUY, qty=D(2), take_profit=D(110), stop_loss=D(90))
    )
    nested = restore_orders([parent], "paper-o", None)
    flat = restore_orders([parent.model_copy(update={"legs": ()}), *parent.legs], "paper-o", None)
    for working in (nested, flat):
        assert [w.id for w in working] == [parent.id, *(leg.id for leg in parent.legs)]
        top = working[0]
        assert top.take_profit.limit_price == D(110) and top.stop_loss.stop_price == D(90)
        assert top.to_order() == parent


def test_an_order_that_fills_at_once_is_saved_with_its_fill(make_sim) -> None:
    """With `fill_at_last_price` (chat) a market order without legs fills inside
    `submit_order` and never joins the open orders; it is saved all the same, so its fill
    has its order in the store and a restart shows both."""
    store = InMemoryLedgerStore()
    s = make_sim(store=store, fill_at_last_price=True)
    s.step(100)
    bought = s.broker.submit_order(OrderRequest(symbol="AAA", side=BUY, qty=D(10)))
    assert s.broker.get_order(bought.id).status is OrderStatus.FILLED
    closed = s.broker.close_position("AAA")
    assert s.broker.get_order(closed.id).status is OrderStatus.FILLED
    before_orders, before_fills = s.broker.list_orders("all"), s.broker.get_fills()

    restart(s, store)

    assert s.broker.list_orders("all") == before_orders
    assert s.broker.get_fills() == before_fills
    assert {f.order_id for f in before_fills} == {bought.id, closed.id}
    assert s.broker.get_position("AAA") is None


def test_the_memory_store_refuses_a_fill_of_an_unsaved_order(make_sim) -> None:
    """Like the SQL store's foreign key: a fill needs its order (or leg) saved before or
    with it; nothing of a refused save is kept."""
    store = InMemoryLedgerStore()
    s = make_sim(store=store)
    s.step(100)
    s.broker.submit_order(
        OrderRequest(symbol="AAA", side=BUY, qty=D(1), take_profit=D(120), stop_loss=D(90))
    )
    s.step(100)
    snapshot = s.broker.snapshot()
    (fill,) = s.broker.get_fills()
    leg = snapshot.orders[0].legs[0]
    store.save_ledger(snapshot, [fill.model_copy(update={"id": "leg-fill", "order_id": leg.id})])
    orphan = fill.model_copy(update={"id": "orphan", "order_id": "never-saved"})
    saves = store.saves
    with pytest.raises(StoreError, match="never-saved"):
        store.save_ledger(snapshot.model_copy(update={"orders": ()}), [orphan])
    assert store.saves == saves
    assert "orphan" not in {f.id for f in store.list_fills(s.broker.account_id)}
