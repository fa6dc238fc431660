"""Notifications from the loop: fills, risk denials, trading-state changes, one alert per
failure streak (and one when it ends)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.unit.agent.fakes import Scripted, World, call, make_world, turn

from tradepit.agent.service import Reply, Tick
from tradepit.domain.models import Fill, Side, TradingState
from tradepit.integrations.run_events import RunNotifier
from tradepit.risk import RiskLimits

WHEN = pd.Timestamp("2018-06-01 20:00", tz="UTC")


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def _notifier(world: World, sent: list[Any], state=lambda: None) -> RunNotifier:
    return RunNotifier(
        sent.append, run_id="r1", account_id="acct", broker=world.broker,
        clock=world.clock, limits=RiskLimits(), manual_state=state,
    )  # fmt: skip


def _fill(at: datetime) -> Fill:
    return Fill(
        id="f1", order_id="o1", client_order_id="r1-0-MSFT-buy", symbol="MSFT",
        side=Side.BUY, qty=Decimal(5), price=Decimal("84.2"), timestamp=at,
    )  # fmt: skip


def test_fills_and_denied_orders_become_events(world: World):
    order = {"symbol": "MSFT", "side": "buy", "qty": 5}
    model = Scripted(turn("", call("place_order", order)), turn("DECISION: MSFT buy"))
    service = world.service(model, symbols=["MSFT"])
    service.set_trading_state(TradingState.HALTED, "test")  # the gate denies every entry
    reply = service.cycle("r1", Tick(cycle=0))
    sent: list[Any] = []
    _notifier(world, sent).cycle_done(0, WHEN, reply, [_fill(world.clock.now())])
    kinds = [e.kind for e in sent]
    assert kinds == ["order_filled", "order_rejected"]
    rejected = sent[1]
    assert (rejected.source, rejected.symbol, rejected.qty) == ("risk", "MSFT", 5)
    assert "trading_halted" in rejected.codes and rejected.client_order_id == "r1-0-MSFT-buy"


def test_state_changes_are_sent_once_each(world: World):
    sent: list[Any] = []
    halted = {"on": False}
    notifier = _notifier(world, sent, lambda: TradingState.HALTED if halted["on"] else None)
    ok = Reply(thread_id="t", cycle=0, status="answered", text="")
    notifier.cycle_done(0, WHEN, ok, [])
    assert sent == []  # ACTIVE from the start: nothing to say
    halted["on"] = True
    notifier.cycle_done(1, WHEN, ok, [])
    notifier.cycle_done(2, WHEN, ok, [])
    halted["on"] = False
    notifier.cycle_done(3, WHEN, ok, [])
    changes = [(e.previous, e.state) for e in sent if e.kind == "risk_state_changed"]
    assert changes == [
        (TradingState.ACTIVE, TradingState.HALTED),
        (TradingState.HALTED, TradingState.ACTIVE),
    ]
    assert sent[0].severity == "critical"


def test_one_alert_per_failure_streak_and_one_on_recovery(world: World):
    sent: list[Any] = []
    notifier = _notifier(world, sent)
    bad = Reply(thread_id="t", cycle=0, status="aborted", text="no data", error_type="NoDataError")
    ok = Reply(thread_id="t", cycle=3, status="answered", text="")
    notifier.cycle_done(0, WHEN, bad, [])
    notifier.cycle_skipped(1, WHEN, ConnectionError("down"))
    notifier.cycle_done(2, WHEN, bad, [])
    notifier.cycle_done(3, WHEN, ok, [])
    notifier.cycle_done(4, WHEN, ok, [])
    alerts = [(e.error_type, e.severity) for e in sent if e.kind == "service_alert"]
    assert alerts == [("NoDataError", "warning"), ("Recovered", "info")]
