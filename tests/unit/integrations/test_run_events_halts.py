"""Notifications of a halted run: the kill switch's real scope (global or the run) and the
operator's reason; identical order rejections once per window (wall clock), the rest
counted in the next notice and in the daily summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.unit.agent.fakes import Scripted, World, call, make_world, turn

from tradepit.agent.service import Reply, Tick
from tradepit.clock import ReplayClock
from tradepit.domain.models import GLOBAL_SCOPE, TradingState
from tradepit.integrations.events import DailySummary, RejectionCount
from tradepit.integrations.hub import NotificationHub, Route
from tradepit.integrations.render import render
from tradepit.integrations.run_events import RunNotifier
from tradepit.integrations.schedule import SummarySchedule
from tradepit.risk import RiskLimits

WHEN = pd.Timestamp("2018-06-01 20:00", tz="UTC")
WALL = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
OK = Reply(thread_id="t", cycle=0, status="answered", text="")


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def notifier(world: World, sent: list[Any], wall: ReplayClock, **kw: Any) -> RunNotifier:
    return RunNotifier(
        sent.append, run_id="r1", account_id="acct", broker=world.broker, clock=world.clock,
        limits=RiskLimits(), store=world.store, wall=wall, **kw,
    )  # fmt: skip


def test_a_global_halt_says_global_and_gives_the_operators_reason(world: World):
    sent: list[Any] = []
    watcher = notifier(world, sent, ReplayClock(WALL))
    world.store.set_trading_flag(GLOBAL_SCOPE, TradingState.HALTED, "ops halt two", WALL)
    watcher.cycle_done(0, WHEN, OK, [])
    [halted] = sent
    assert (halted.scope, halted.state) == (GLOBAL_SCOPE, TradingState.HALTED)
    [reason] = halted.reasons
    assert reason.code == "manual_halt"
    assert reason.message == (
        "kill switch on for every run (global) since 2026-03-02 14:30Z: ops halt two"
    )
    message = render(halted)
    assert message.title == "Trading HALTED (global)" and "ops halt two" in message.text
    world.store.set_trading_flag(GLOBAL_SCOPE, TradingState.ACTIVE, "resumed", WALL)
    watcher.cycle_done(1, WHEN, OK, [])
    lifted = sent[-1]
    assert (lifted.scope, lifted.previous, lifted.state) == (
        GLOBAL_SCOPE, TradingState.HALTED, TradingState.ACTIVE,
    )  # fmt: skip


def test_a_halt_of_this_run_says_so(world: World):
    sent: list[Any] = []
    world.store.set_trading_flag("r1", TradingState.HALTED, "flatten before the FOMC", WALL)
    notifier(world, sent, ReplayClock(WALL)).cycle_done(0, WHEN, OK, [])
    [halted] = sent
    assert halted.scope == "r1"
    assert "for run r1" in halted.reasons[0].message
    assert halted.reasons[0].message.endswith(": flatten before the FOMC")


def denied_reply(world: World) -> Reply:
    """A real cycle whose MSFT order the gate denies (trading halted)."""
    order = {"symbol": "MSFT", "side": "buy", "qty": 5}
    model = Scripted(turn("", call("place_order", order)), turn("DECISION: MSFT buy"))
    service = world.service(model, symbols=["MSFT"])
    service.set_trading_state(TradingState.HALTED, "test")
    reply = service.cycle("r1", Tick(cycle=0))
    assert reply.actions == {"MSFT": "denied"}
    return reply


def test_identical_rejections_are_sent_once_per_window(world: World):
    reply = denied_reply(world)
    sent: list[Any] = []
    wall = ReplayClock(WALL)
    watcher = notifier(world, sent, wall, repeat_window_s=3600)
    for n in range(25):  # 25 cycles in a fast replay: seconds of wall-clock time
        wall.advance_to(WALL + timedelta(seconds=n / 2))
        watcher.cycle_done(n, WHEN, reply, [])
    rejected = [e for e in sent if e.kind == "order_rejected"]
    assert len(rejected) == 1 and rejected[0].repeats == 0
    wall.advance_to(WALL + timedelta(hours=1))
    watcher.cycle_done(25, WHEN, reply, [])
    rejected = [e for e in sent if e.kind == "order_rejected"]
    assert len(rejected) == 2 and rejected[1].repeats == 24
    assert (
        "24 identical rejection(s) since the last notice were not sent" in render(rejected[1]).text
    )
    [counted] = watcher.repeats.counts()
    assert (counted.symbol, counted.source, counted.count, counted.notified) == (
        "MSFT", "risk", 26, 2,
    )  # fmt: skip


def test_a_window_of_zero_sends_every_rejection(world: World):
    reply = denied_reply(world)
    sent: list[Any] = []
    watcher = notifier(world, sent, ReplayClock(WALL), repeat_window_s=0)
    for n in range(3):
        watcher.cycle_done(n, WHEN, reply, [])
    assert [e.kind for e in sent].count("order_rejected") == 3


class Capture:
    name = "capture"

    def __init__(self) -> None:
        self.events: list[Any] = []

    def send(self, event: Any) -> None:
        self.events.append(event)

    def close(self) -> None:
        pass


def test_the_daily_summary_counts_the_rejections(world: World, tmp_path: Path):
    reply = denied_reply(world)
    target = Capture()
    hub = NotificationHub([Route(target)])
    sent: list[Any] = []
    plan = SummarySchedule(tmp_path / "summaries.json", world.clock)
    watcher = notifier(world, sent, ReplayClock(WALL), hub=hub, schedule=plan)
    for n in range(5):
        watcher.cycle_done(n, WHEN, reply, [])
    world.clock.advance_to(datetime(2018, 6, 1, 21, 0, tzinfo=UTC))  # after the close
    watcher.cycle_done(5, WHEN, reply, [])
    [summary] = [e for e in target.events if isinstance(e, DailySummary)]
    assert summary.rejections == (
        RejectionCount(symbol="MSFT", source="risk", codes=("trading_halted",), count=6,
                       notified=1),
    )  # fmt: skip
    fields = {f.name: f.value for f in render(summary).fields}
    assert fields["Rejected orders"] == "MSFT trading_halted (risk) x6, 1 sent"
    assert watcher.repeats.counts() == ()  # counted afresh for the next summary
