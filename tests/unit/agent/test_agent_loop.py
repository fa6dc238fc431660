"""The autonomous loop: market-hours ticks, fills between cycles, resume, --once, stop."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from tests.unit.agent.fakes import make_world

from tradepit.agent.backends.rules import RulesBackend
from tradepit.agent.loop import LoopPlan, RunLoop, default_run_id, replay_window, ticks
from tradepit.bootstrap import bundled_source
from tradepit.domain.errors import ConfigError
from tradepit.storage import RunStatus

UTC_ = UTC


def test_intraday_ticks_follow_the_exchange_calendar():
    start, end = datetime(2018, 12, 21, tzinfo=UTC), datetime(2018, 12, 27, tzinfo=UTC)
    got = list(ticks(start, end, pd.Timedelta(minutes=15)))
    days = pd.Series(got).dt.date.value_counts().sort_index()
    # Friday: full session 26 ticks; Monday 24th: early close (13:00 ET) 14; 25th: holiday
    assert days.to_dict() == {
        datetime(2018, 12, 21).date(): 26,
        datetime(2018, 12, 24).date(): 14,
        datetime(2018, 12, 26).date(): 26,
    }
    assert got[0] == pd.Timestamp("2018-12-21 14:45", tz="UTC")
    assert pd.Timestamp("2018-12-24 18:00", tz="UTC") in got  # the early close gets a tick


def test_daily_ticks_at_the_close_and_odd_intervals_end_at_the_close():
    start, end = datetime(2018, 12, 21, tzinfo=UTC), datetime(2018, 12, 27, tzinfo=UTC)
    daily = list(ticks(start, end, pd.Timedelta(days=1)))
    assert [t.strftime("%m-%d %H:%M") for t in daily] == [
        "12-21 21:00",
        "12-24 18:00",
        "12-26 21:00",
    ]
    hourly = [t for t in ticks(start, end, pd.Timedelta(hours=1)) if t.day == 21]
    assert hourly[-1] == pd.Timestamp("2018-12-21 21:00", tz="UTC") and len(hourly) == 7


def test_replay_window_defaults_to_the_last_session():
    lo, hi = replay_window(bundled_source(), ["SPX"], None, None)
    assert (lo.date().isoformat(), hi.date().isoformat()) == ("2018-12-31", "2019-01-01")
    with pytest.raises(ConfigError, match="no replay between 2018-01-02 and 2017-11-11"):
        replay_window(bundled_source(), ["MSFT"], datetime(2018, 1, 2, tzinfo=UTC), None)
    with pytest.raises(ConfigError, match=r"start 1990-01-01 is before the data: .* 1999-01-04"):
        replay_window(bundled_source(), ["SPX"], datetime(1990, 1, 1, tzinfo=UTC), None)


def _loop(tmp_path: Path, plan: LoopPlan, stop: threading.Event | None = None, seen=None):
    world = make_world(tmp_path, at=plan.start)
    service = world.service(RulesBackend("supertrend"), symbols=plan.symbols)
    on_cycle = (lambda n, when, reply: seen.append((n, reply))) if seen is not None else None
    loop = RunLoop(
        plan, service, world.clock, world.feed, world.broker, world.store, stop, on_cycle
    )
    return world, loop


def _plan(**kw) -> LoopPlan:
    base = dict(
        run_id="r1", model="rules:supertrend", symbols=("SPX",), interval="1Day",
        start=datetime(2018, 9, 24, tzinfo=UTC), end=datetime(2018, 10, 31, tzinfo=UTC),
    )  # fmt: skip
    return LoopPlan(**(base | kw))


def test_loop_trades_fills_and_resumes_where_it_stopped(tmp_path: Path):
    world, loop = _loop(tmp_path, _plan(max_cycles=10))
    first = loop.run()
    assert (first.cycles, first.last_cycle, first.status) == (10, 9, "running")
    assert world.store.get_run("r1").status is RunStatus.RUNNING
    broker_store = world.broker  # same in-memory ledger continues in the second loop
    second_loop = RunLoop(
        _plan(), world.service(RulesBackend("supertrend"), symbols=("SPX",)), world.clock,
        world.feed, broker_store, world.store,
    )  # fmt: skip
    second = second_loop.run()
    sessions = len(list(ticks(_plan().start, _plan().end, pd.Timedelta(days=1))))
    assert second.cycles == sessions - 10 and second.status == "completed"
    cycles = [r.decision.cycle for r in world.store.list_decisions("r1")]
    assert cycles == list(range(sessions))  # every cycle exactly once
    fills = world.broker.get_fills()
    assert fills, "the supertrend run should have traded in October 2018"
    payload_fills = [f for r in world.store.list_decisions("r1") for f in r.payload["fills"]]
    assert {f["id"] for f in payload_fills} == {f.id for f in fills}
    orders = [o for o in world.broker.list_orders("all") if o.parent_id is None]
    for order in orders:  # an order never fills on the bar of the session it was placed in
        for fill in (f for f in fills if f.order_id == order.id):
            assert fill.timestamp >= order.created_at
    assert RunLoop(_plan(), second_loop.service, world.clock, world.feed, world.broker,
                   world.store).run().cycles == 0  # fmt: skip
    assert len(world.store.equity_curve(world.broker.account_id)) == sessions


def test_once_runs_one_cycle_and_the_next_call_the_next(tmp_path: Path):
    world, loop = _loop(tmp_path, _plan(once=True))
    assert loop.run().last_cycle == 0
    assert RunLoop(_plan(once=True), loop.service, world.clock, world.feed, world.broker,
                   world.store).run().last_cycle == 1  # fmt: skip


def test_stop_request_ends_after_the_current_cycle(tmp_path: Path):
    stop = threading.Event()
    seen: list = []
    _, loop = _loop(tmp_path, _plan(), stop, seen)
    loop.on_cycle = lambda n, when, reply: (seen.append(n), stop.set() if n == 2 else None)
    result = loop.run()
    assert seen == [0, 1, 2] and result.status == "running"


def test_a_resumed_run_must_match_its_settings(tmp_path: Path):
    world, loop = _loop(tmp_path, _plan(once=True))
    loop.run()
    other = RunLoop(_plan(symbols=("MSFT",)), loop.service, world.clock, world.feed,
                    world.broker, world.store)  # fmt: skip
    with pytest.raises(ConfigError, match=r"started with --symbols SPX \(now MSFT\)"):
        other.run()
    # the dates as the user gives them: --end 2018-10-30 is stored as 2018-10-31T00:00
    moved = _plan(start=datetime(2018, 10, 1, tzinfo=UTC), end=datetime(2018, 11, 15, tzinfo=UTC))
    dates = RunLoop(moved, loop.service, world.clock, world.feed, world.broker, world.store)
    expected = "--start 2018-09-24 (now 2018-10-01), --end 2018-10-30 (now 2018-11-14)"
    with pytest.raises(ConfigError, match=re.escape(f"started with {expected}: resume it")):
        dates.run()
    crypto_hours = RunLoop(_plan(once=True, calendar="24/7"), loop.service, world.clock,
                           world.feed, world.broker, world.store)  # fmt: skip
    with pytest.raises(ConfigError, match="calendar XNYS \\(now 24/7\\)"):
        crypto_hours.run()


def test_a_run_stored_without_its_calendar_resumes_on_the_default(tmp_path: Path):
    world, loop = _loop(tmp_path, _plan(once=True))
    config = {k: v for k, v in _plan().config().items() if k != "calendar"}
    world.store.create_run(_plan().run_id, "cycle", world.clock.now(), config)
    assert loop.run().last_cycle == 0


def test_default_run_id_is_stable_and_safe():
    when = datetime(2018, 12, 31, tzinfo=UTC)
    a = default_run_id("rules:supertrend", ["SPX", "MSFT"], "15Min", when)
    assert a == default_run_id("rules:supertrend", ["SPX", "MSFT"], "15Min", when)
    assert a == "rules_supertrend-SPX+MSFT-15Min-20181231"
