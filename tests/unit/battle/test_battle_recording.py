"""One commit per tick: buffered, coalesced ledger saves leave the database exactly as
saving each change at once does; decisions, model calls and equity are written in one
transaction; trading flags are read once per tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradepit.battle.recording import FlagCache, TickBuffer, flush_all
from tradepit.broker import PaperBroker, PaperConfig
from tradepit.clock import ReplayClock
from tradepit.domain.models import Asset, Bar, Decision, OrderRequest, Side, TradingState
from tradepit.storage import ModelCallRecord, Store

T0 = datetime(2021, 3, 1, 21, tzinfo=UTC)
D = Decimal


@pytest.fixture
def stores(tmp_path):
    out = []
    for name in ("direct", "buffered"):
        s = Store.from_url(f"sqlite:///{tmp_path / name}.db")
        s.migrate()
        out.append(s)
    yield out
    for s in out:
        s.close()


def bar(day: int, o: str, h: str, lo: str, c: str) -> Bar:
    return Bar(symbol="X", timestamp=datetime(2021, 3, 2, tzinfo=UTC) + timedelta(days=day),
               open=D(o), high=D(h), low=D(lo), close=D(c), volume=D(10_000))  # fmt: skip


def play(broker: PaperBroker, clock: ReplayClock, tick) -> None:
    """Orders, fills, a bracket, a cancel and new sessions, with a tick boundary between."""
    broker.mark("X", D(100))
    broker.submit_order(OrderRequest(symbol="X", side=Side.BUY, qty=D(10), stop_loss=D(90),
                                     take_profit=D(120), client_order_id="b1"))  # fmt: skip
    limit = broker.submit_order(OrderRequest(symbol="X", side=Side.BUY, qty=D(5), type="limit",
                                             limit_price=D(50), client_order_id="l1"))  # fmt: skip
    tick()
    clock.advance_to(T0 + timedelta(days=1))
    broker.on_bar(bar(0, "101", "103", "99", "102"))  # the bracket's parent fills
    broker.cancel_order(limit.id)
    tick()
    clock.advance_to(T0 + timedelta(days=2))
    broker.on_bar(bar(1, "104", "125", "103", "121"))  # take-profit fills, stop canceled
    broker.submit_order(OrderRequest(symbol="X", side=Side.SELL, qty=D(3), client_order_id="s1"))
    clock.advance_to(T0 + timedelta(days=3))
    broker.on_bar(bar(2, "120", "121", "118", "119"))  # the short fills, a new session
    tick()


def test_coalesced_saves_equal_direct_saves(stores):
    direct, target = stores
    results = []
    for store, buffered in ((direct, False), (target, True)):
        clock = ReplayClock(T0)
        sink = TickBuffer(store) if buffered else store
        broker = PaperBroker(clock, lambda s: Asset(symbol=s), PaperConfig(), sink, "acct")
        play(broker, clock, (lambda b=sink: flush_all(target, [b])) if buffered else lambda: None)
        loaded = store.load_ledger("acct")
        results.append((loaded, store.list_fills("acct")))
        restarted = PaperBroker(clock, lambda s: Asset(symbol=s), PaperConfig(), store, "acct")
        assert restarted.get_account() == broker.get_account()
        assert restarted.list_orders("all") == broker.list_orders("all")
    (a, fills_a), (b, fills_b) = results
    assert a == b and fills_a == fills_b and len(fills_a) == 3


def test_records_wait_for_the_flush_and_flags_are_cached(stores):
    _, store = stores
    flags = FlagCache(store, ["run-1"])
    buffer = TickBuffer(store, flags)
    store.create_run("run-1", "battle", T0, {})
    call = ModelCallRecord(run_id="run-1", cycle=0, seq=0, backend="b", request={"m": [1]},
                           response={"text": "x"}, timestamp=T0)  # fmt: skip
    decision = Decision(run_id="run-1", cycle=0, symbol="X", action="hold", timestamp=T0)
    assert buffer.record_turn([call], [(decision, {"k": 1})]) is True
    buffer.record_equity("acct", T0, D("100000"), D("100000"))
    assert store.list_decisions("run-1") == [] and buffer.pending == 3
    assert buffer.get_run("run-1") is not None  # reads go to the store
    assert flush_all(store, [buffer]) == 3 and buffer.pending == 0
    assert [r.payload for r in store.list_decisions("run-1")] == [{"k": 1}]
    assert store.list_model_calls("run-1")[0].request == {"m": [1]}
    assert store.equity_curve("acct")[0].equity == D("100000")
    store.set_trading_flag("global", TradingState.HALTED, "test", T0)
    assert buffer.get_trading_flags(["global", "run-1"]) == []  # read at the tick's start
    flags.refresh()
    assert [f.state for f in buffer.get_trading_flags(["global", "run-1"])] == ["halted"]
