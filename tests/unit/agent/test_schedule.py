"""Live scheduling: unbounded ticks agree with bounded ones, crypto trades around the clock,
the live pacer waits for a tick and calls stale ones missed."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pandas as pd

from tradepit.agent.schedule import LivePacer, calendar_for, ticks
from tradepit.clock import ReplayClock


def test_unbounded_ticks_are_the_bounded_ones_across_windows():
    lo, hi = datetime(2018, 1, 1, tzinfo=UTC), datetime(2018, 12, 31, tzinfo=UTC)
    for interval in (pd.Timedelta(days=1), pd.Timedelta(minutes=30)):
        bounded = list(ticks(lo, hi, interval))
        live = list(itertools.takewhile(lambda t: t <= pd.Timestamp(hi), ticks(lo, None, interval)))
        assert live == bounded and len(set(live)) == len(live)
    assert len(list(ticks(lo, hi, pd.Timedelta(days=1)))) == 250  # 2018 closes before Dec 31


def test_crypto_runs_on_the_24_7_calendar():
    assert calendar_for(("BTC/USD", "ETH/USD")) == "24/7"
    assert calendar_for(("BTC/USD", "MSFT")) == "XNYS"
    saturday = datetime(2024, 3, 9, tzinfo=UTC)
    got = list(itertools.islice(ticks(saturday, None, pd.Timedelta(hours=6), "24/7"), 4))
    assert [t.hour for t in got] == [0, 6, 12, 18] and got[0].day == 9


def test_live_pacer_waits_until_the_tick_and_calls_old_ticks_missed():
    clock, stop = ReplayClock(datetime(2024, 3, 5, 14, 0, tzinfo=UTC)), threading.Event()
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        clock.advance_to(clock.now() + timedelta(seconds=seconds))
        return stop.is_set()

    pacer = LivePacer(clock, stop, poll=600, wait=wait)
    tick = pd.Timestamp("2024-03-05 14:45", tz="UTC")
    assert pacer.reach(tick) and clock.now() == tick.to_pydatetime()
    assert waits == [600.0] * 4 + [300.0]  # wakes every `poll` s to re-read the clock
    assert not pacer.missed(tick)
    clock.advance_to(clock.now() + timedelta(minutes=3))
    assert pacer.missed(tick)  # more than the 2 minutes' grace ago


def test_live_pacer_returns_false_when_stopped_while_waiting():
    clock, stop = ReplayClock(datetime(2024, 3, 5, 14, 0, tzinfo=UTC)), threading.Event()

    def wait(seconds: float) -> bool:
        stop.set()
        return True

    pacer = LivePacer(clock, stop, wait=wait)
    assert not pacer.reach(pd.Timestamp("2024-03-05 14:45", tz="UTC"))
