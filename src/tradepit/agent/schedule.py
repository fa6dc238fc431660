"""When the autonomous loop runs a cycle: ticks from an exchange calendar, and the pacing
that gets the clock to each tick.

Ticks come from exchange_calendars (offline): for an intraday interval every
``open + k * interval`` up to the session's close (the close always gets one); for a day or
more, one tick at each session's close. A live run has no end: its ticks are generated
in windows of `CHUNK` as the loop gets to them.

Pacing: `ReplayPacer` moves a replay clock to each tick (waiting interval/speed between
cycles when a speed is given); `LivePacer` waits on the real clock until each tick comes,
and calls a tick missed when it is more than `grace` in the past (a loop that was down does
not catch up on stale cycles: the market moved on).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import pandas as pd
from pandas.errors import Pandas4Warning

from tradepit.market.sessions import exchange_calendar as _calendar

if TYPE_CHECKING:
    from tradepit.clock import ReplayClock
    from tradepit.domain.ports import Clock

DAY = pd.Timedelta(days=1)
CHUNK = pd.Timedelta(days=60)
CRYPTO_CALENDAR = "24/7"


def ticks(
    start: datetime, end: datetime | None, interval: pd.Timedelta, calendar: str = "XNYS"
) -> Iterator[pd.Timestamp]:
    """Tick times in [start, end] within the calendar's sessions (UTC); no end = forever."""
    lo = pd.Timestamp(start)
    if end is not None:
        yield from _window(lo, pd.Timestamp(end), interval, calendar)
        return
    window_lo = lo
    while True:  # half-open windows [lo, hi) ending at midnight: no tick twice or never
        window_hi = (window_lo + CHUNK).normalize()
        yield from _window(window_lo, window_hi, interval, calendar, closed=False)
        window_lo = window_hi


def _window(
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    interval: pd.Timedelta,
    calendar: str,
    closed: bool = True,
) -> Iterator[pd.Timestamp]:
    for opens, closes in _sessions(calendar, lo - DAY, hi):
        times = [closes] if interval >= DAY else _intraday(opens, closes, interval)
        for when in times:
            if lo <= when and (when <= hi if closed else when < hi):
                yield when


def _sessions(calendar: str, lo: pd.Timestamp, hi: pd.Timestamp) -> list[tuple]:
    """(open, close) of every session from lo's date to hi's date (UTC)."""
    with warnings.catch_warnings():  # exchange_calendars trips a pandas 3.1 deprecation
        warnings.simplefilter("ignore", Pandas4Warning)
        cal = _calendar(calendar, lo.year, hi.year)
        sessions = cal.sessions_in_range(lo.date().isoformat(), hi.date().isoformat())
        return [(cal.session_open(s), cal.session_close(s)) for s in sessions]


def _intraday(opens: pd.Timestamp, closes: pd.Timestamp, step: pd.Timedelta) -> list:
    out, when = [], opens + step
    while when <= closes:
        out.append(when)
        when += step
    if not out or out[-1] != closes:
        out.append(closes)  # the close always gets a tick (early closes, odd intervals)
    return out


def calendar_for(symbols: tuple[str, ...], default: str = "XNYS") -> str:
    """Crypto pairs (``BTC/USD``) trade around the clock; anything else on `default`."""
    return CRYPTO_CALENDAR if symbols and all("/" in s for s in symbols) else default


class Pacer(Protocol):
    """Brings the clock to a tick; False means a stop was requested meanwhile."""

    live: bool

    def reach(self, when: pd.Timestamp) -> bool: ...

    def missed(self, when: pd.Timestamp) -> bool: ...

    def rest(self, interval: pd.Timedelta) -> bool: ...


class ReplayPacer:
    """Replay: the clock jumps to each tick; `speed` replay seconds per wall second (0: no
    waiting between cycles)."""

    live = False

    def __init__(self, clock: ReplayClock, stop: threading.Event, speed: float = 0.0) -> None:
        self.clock, self.stop, self.speed = clock, stop, speed

    def reach(self, when: pd.Timestamp) -> bool:
        if when.to_pydatetime() > self.clock.now():
            self.clock.advance_to(when.to_pydatetime())
        return not self.stop.is_set()

    def missed(self, when: pd.Timestamp) -> bool:
        return False

    def rest(self, interval: pd.Timedelta) -> bool:
        pause = interval.total_seconds() / self.speed if self.speed > 0 else 0.0
        return not self.stop.wait(pause)


class LivePacer:
    """Live: waits on the real clock until each tick (waking at least every `poll` seconds
    to re-read the clock); a tick more than `grace` old is missed. `wait(seconds)` returns
    True when a stop was requested (default: the stop event's wait)."""

    live = True

    def __init__(
        self,
        clock: Clock,
        stop: threading.Event,
        *,
        grace: timedelta = timedelta(minutes=2),
        poll: float = 30.0,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.clock, self.stop, self.grace, self.poll = clock, stop, grace, poll
        self._wait = wait or stop.wait

    def reach(self, when: pd.Timestamp) -> bool:
        while (delay := (when.to_pydatetime() - self.clock.now()).total_seconds()) > 0:
            if self._wait(min(delay, self.poll)):
                return False
        return not self.stop.is_set()

    def missed(self, when: pd.Timestamp) -> bool:
        return self.clock.now() - when.to_pydatetime() > self.grace

    def rest(self, interval: pd.Timedelta) -> bool:
        return not self.stop.is_set()
