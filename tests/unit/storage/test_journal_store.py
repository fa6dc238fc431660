"""Runs, decisions and equity curves."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradepit.domain.errors import StoreError
from tradepit.domain.models import Decision
from tradepit.storage import RunKind, RunStatus, Store

T0 = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)


def decision(cycle: int, symbol: str | None = "MSFT", action: str = "buy") -> Decision:
    return Decision(
        run_id="run-1",
        cycle=cycle,
        symbol=symbol,
        action=action,
        rationale=f"cycle {cycle}: RSI 28 < 30 → buy",
        timestamp=T0 + timedelta(days=cycle),
        backend="rules:macd_rsi",
    )


def test_run_lifecycle(store: Store):
    created = store.create_run("run-1", "backtest", T0, {"symbols": ["MSFT"], "seed": 7})
    assert created.status is RunStatus.RUNNING
    assert created.ended_at is None
    assert store.get_run("run-1") == created
    finished = store.finish_run("run-1", T0 + timedelta(hours=2), "completed")
    assert finished.status is RunStatus.COMPLETED
    assert finished.ended_at == T0 + timedelta(hours=2)
    assert store.get_run("run-1") == finished
    assert store.get_run("run-2") is None


def test_run_config_is_stored_as_json(store: Store):
    config = {"cash": Decimal("1000.50"), "start": T0, "nested": {"k": [1, 2.5, None, True]}}
    created = store.create_run("run-1", RunKind.BATTLE, T0, config)
    expected = {"cash": "1000.50", "start": "2024-03-01T14:30:00Z", "nested": config["nested"]}
    assert created.config == expected
    assert store.get_run("run-1").config == expected


def test_list_runs_oldest_first_and_by_kind(store: Store):
    store.create_run("c", "chat", T0 + timedelta(hours=2), {})
    store.create_run("a", "backtest", T0, {})
    store.create_run("b", "backtest", T0 + timedelta(hours=1), {})
    assert [r.id for r in store.list_runs()] == ["a", "b", "c"]
    assert [r.id for r in store.list_runs("backtest")] == ["a", "b"]
    assert [r.id for r in store.list_runs(RunKind.CYCLE)] == []


def test_run_errors(store: Store):
    store.create_run("run-1", "cycle", T0, {})
    with pytest.raises(StoreError, match=r"(?i)unique|duplicate"):
        store.create_run("run-1", "cycle", T0, {})
    with pytest.raises(StoreError, match="no run"):
        store.finish_run("missing", T0, "failed")
    with pytest.raises(ValueError):
        store.create_run("run-2", "holiday", T0, {})
    with pytest.raises(ValueError):
        store.finish_run("run-1", T0, "done-ish")
    assert [r.id for r in store.list_runs()] == ["run-1"]
    assert store.get_run("run-1").status is RunStatus.RUNNING


def test_decisions_round_trip_in_cycle_order(store: Store):
    store.create_run("run-1", "cycle", T0, {})
    payload = {
        "tool_calls": [{"name": "place_order", "args": {"qty": Decimal("3"), "symbol": "MSFT"}}],
        "verdict": {"approved": False, "codes": ["max_position"]},
    }
    store.record_decision(decision(2, action="hold"), {})
    store.record_decision(decision(1), payload)
    store.record_decision(decision(1, symbol=None, action="abort"))
    records = store.list_decisions("run-1")
    assert [(r.decision.cycle, r.decision.action) for r in records] == [
        (1, "buy"),
        (1, "abort"),
        (2, "hold"),
    ]
    assert records[0].decision == decision(1)
    assert records[0].payload["tool_calls"][0]["args"] == {"qty": "3", "symbol": "MSFT"}
    assert records[0].payload["verdict"] == payload["verdict"]
    assert records[1].decision.symbol is None and records[1].payload == {}
    assert store.list_decisions("other") == []


def test_decision_needs_its_run(store: Store):
    with pytest.raises(StoreError):
        store.record_decision(decision(1), {})
    assert store.list_decisions("run-1") == []


def test_equity_curve_is_ordered_and_upserts_a_timestamp(store: Store):
    store.record_equity("acct", T0 + timedelta(days=1), Decimal("101"), Decimal("50"))
    store.record_equity("acct", T0, Decimal("100"), Decimal("100"))
    store.record_equity("acct", T0 + timedelta(days=1), Decimal("102.5"), Decimal("49"))
    store.record_equity("other", T0, Decimal("1"), Decimal("1"))
    curve = store.equity_curve("acct")
    assert [(p.timestamp, p.equity, p.cash) for p in curve] == [
        (T0, Decimal("100"), Decimal("100")),
        (T0 + timedelta(days=1), Decimal("102.5"), Decimal("49")),
    ]


def test_restart_sees_runs_decisions_and_equity(database, store: Store):
    store.create_run("run-1", "cycle", T0, {"k": 1})
    store.record_decision(decision(1), {"x": 1})
    store.record_equity("acct", T0, Decimal("100.01"), Decimal("100.01"))
    store.close()
    with database.open() as restarted:
        assert restarted.get_run("run-1").config == {"k": 1}
        assert restarted.list_decisions("run-1")[0].payload == {"x": 1}
        assert restarted.equity_curve("acct")[0].equity == Decimal("100.01")
