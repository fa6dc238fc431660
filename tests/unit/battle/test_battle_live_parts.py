"""Live battle parts: the waiting clock, the tick plan and the replay-only options."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from tradepit.battle.live import BattleStopped, WaitingClock, check_live, live_times
from tradepit.clock import ReplayClock
from tradepit.domain.errors import ConfigError

NOW = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)


def test_waiting_clock_waits_for_the_tick_and_can_be_stopped():
    real, stop = ReplayClock(NOW), threading.Event()

    def wait(seconds: float) -> bool:
        real.advance_to(real.now() + timedelta(seconds=seconds))
        return stop.is_set()

    clock = WaitingClock(real, stop, wait)
    clock.advance_to(datetime(2024, 3, 5, 14, 45, tzinfo=UTC))
    assert clock.now() == datetime(2024, 3, 5, 14, 45, tzinfo=UTC)
    clock.advance_to(datetime(2024, 3, 5, 14, 30, tzinfo=UTC))  # past: no wait, no error
    assert clock.now() == datetime(2024, 3, 5, 14, 45, tzinfo=UTC)
    stop.set()
    with pytest.raises(BattleStopped):
        clock.advance_to(datetime(2024, 3, 5, 15, 0, tzinfo=UTC))


def test_live_times_follow_the_calendar_and_need_an_end():
    times, calendar = live_times(NOW, datetime(2024, 3, 6, tzinfo=UTC), "1h", ["MSFT"])
    assert calendar == "XNYS" and times[0].hour == 15 and times[-1].hour == 21
    assert len(times) == 7  # 14:30 open + 1 h ... the 21:00 close
    _, crypto = live_times(NOW, datetime(2024, 3, 6, tzinfo=UTC), "1h", ["BTC/USD"])
    assert crypto == "24/7"
    with pytest.raises(ConfigError, match="--end"):
        live_times(NOW, None, "1h", ["MSFT"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"blind": True}, "--blind"),
        ({"windows": 3}, "--windows"),
        ({"data": {"X": "x.csv"}}, "--data"),
    ],
)
def test_history_options_are_refused(change, message):
    config = SimpleNamespace(blind=False, windows=1, repeats=1, data={})
    for key, value in change.items():
        setattr(config, key, value)
    with pytest.raises(ConfigError, match=message):
        check_live(config)
