"""The autonomous loop: one cycle per interval during market hours, on a replay clock over
the bundled data (offline).

Ticks come from the exchange calendar (exchange_calendars, offline): for an intraday
interval, every ``open + k * interval`` up to the session's close; for a day or more, one
tick at each session's close. Cycle n is the n-th tick from `start`, so a restarted loop
finds where it was: cycles with a recorded decision are done, the next one runs (the
client_order_id of (run, cycle, symbol, leg) makes a repeated cycle's orders duplicates the
broker refuses, so nothing is sent twice).

Before each cycle the clock moves to the tick and the bars completed since the previous
tick go to the paper broker (fills of earlier orders). A bar is complete at open + 1 day in
the bundled daily data, so an order placed during a session fills at the next session's
open. A stop request (SIGINT/SIGTERM) ends the loop after the current cycle.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from pandas.errors import Pandas4Warning

from tradepit.agent.service import AgentService, Tick
from tradepit.domain.errors import ConfigError, NoDataError
from tradepit.domain.models import Bar, Fill
from tradepit.storage import RunStatus

if TYPE_CHECKING:
    from tradepit.broker import PaperBroker
    from tradepit.clock import ReplayClock
    from tradepit.market import PointInTimeFeed
    from tradepit.storage import Store

log = logging.getLogger(__name__)

DAY = pd.Timedelta(days=1)


def ticks(
    start: datetime, end: datetime, interval: pd.Timedelta, calendar: str = "XNYS"
) -> Iterator[pd.Timestamp]:
    """Tick times in [start, end] within the calendar's sessions (UTC)."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    for opens, closes in _sessions(calendar, lo, hi):
        times = [closes] if interval >= DAY else _intraday(opens, closes, interval)
        for when in times:
            if lo <= when <= hi:
                yield when


def _sessions(calendar: str, lo: pd.Timestamp, hi: pd.Timestamp) -> list[tuple]:
    """(open, close) of every session from lo's date to hi's date (UTC)."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():  # exchange_calendars trips a pandas 3.1 deprecation
        warnings.simplefilter("ignore", Pandas4Warning)
        cal = xcals.get_calendar(
            calendar,
            start=(lo - 7 * DAY).date().isoformat(),
            end=(hi + 7 * DAY).date().isoformat(),
        )
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


def default_run_id(model: str, symbols: Sequence[str], interval: str, start: datetime) -> str:
    """A readable id from the run's parameters: the same command resumes the same run."""
    raw = f"{model}-{'+'.join(symbols)}-{interval}-{start:%Y%m%d}"
    return re.sub(r"[^A-Za-z0-9.+_-]+", "_", raw)[:80]


@dataclass(frozen=True)
class LoopPlan:
    run_id: str
    model: str
    symbols: tuple[str, ...]
    interval: str
    start: datetime
    end: datetime
    once: bool = False
    speed: float = 0.0
    """Replay speed: replay seconds per wall-clock second; 0 = no waiting."""
    max_cycles: int | None = None
    calendar: str = "XNYS"

    def config(self) -> dict[str, Any]:
        """What identifies the run (a resumed run must match it)."""
        return {
            "model": self.model,
            "symbols": list(self.symbols),
            "interval": self.interval,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


@dataclass
class LoopResult:
    run_id: str
    cycles: int = 0
    """Cycles run by this invocation."""
    last_cycle: int | None = None
    status: str = "running"
    aborted: int = 0
    actions: dict[str, int] = field(default_factory=dict)


class RunLoop:
    """Drives `service.cycle` over the plan's ticks (see the module docstring)."""

    def __init__(
        self,
        plan: LoopPlan,
        service: AgentService,
        clock: ReplayClock,
        feed: PointInTimeFeed,
        broker: PaperBroker,
        store: Store,
        stop: threading.Event | None = None,
        on_cycle: Callable[[int, pd.Timestamp, Any], None] | None = None,
    ) -> None:
        self.plan, self.service, self.clock = plan, service, clock
        self.feed, self.broker, self.store = feed, broker, store
        self.stop = stop or threading.Event()
        self.on_cycle = on_cycle
        self.duration = pd.Timedelta(days=1)

    def run(self) -> LoopResult:
        plan = self.plan
        result = LoopResult(plan.run_id)
        if not self._open_run():
            result.status = "completed"
            return result
        last = self.store.last_cycle(plan.run_id)
        first = 0 if last is None else last + 1
        previous: pd.Timestamp | None = None
        interval = pd.Timedelta(_interval(plan.interval))
        try:
            for n, when in enumerate(ticks(plan.start, plan.end, interval, plan.calendar)):
                if n < first:
                    previous = when
                    continue
                if self.stop.is_set() or _enough(plan, result):
                    return result
                self._cycle(n, when, previous, result)
                previous = when
                if self.stop.wait(_pause(plan, interval)):
                    return result
        except BaseException:
            self.store.finish_run(plan.run_id, self.clock.now(), RunStatus.FAILED)
            raise
        self.store.finish_run(plan.run_id, self.clock.now(), RunStatus.COMPLETED)
        result.status = "completed"
        return result

    def _cycle(
        self, n: int, when: pd.Timestamp, previous: pd.Timestamp | None, result: LoopResult
    ) -> None:
        plan = self.plan
        if when.to_pydatetime() > self.clock.now():
            self.clock.advance_to(when.to_pydatetime())
        fills = self.deliver(previous)
        reply = self.service.cycle(plan.run_id, Tick(cycle=n, fills=fills))
        account = self.broker.get_account()
        self.store.record_equity(
            self.broker.account_id, self.clock.now(), account.equity, account.cash
        )
        result.cycles += 1
        result.last_cycle = n
        result.aborted += reply.status == "aborted"
        for action in reply.actions.values():
            result.actions[action] = result.actions.get(action, 0) + 1
        log.info(
            "cycle done",
            extra={"run": plan.run_id, "cycle": n, "status": reply.status, "at": when.isoformat()},
        )
        if self.on_cycle is not None:
            self.on_cycle(n, when, reply)

    def deliver(self, previous: pd.Timestamp | None) -> list[Fill]:
        """Bars completed after the previous tick (none before the first tick: the account
        starts at `start`) go to the paper broker; returns the fills they caused."""
        if previous is None:
            return []
        fills: list[Fill] = []
        start = (previous - self.duration + pd.Timedelta(1, "us")).to_pydatetime()
        bars: list[Bar] = []
        for symbol in self.plan.symbols:
            try:
                frame = self.feed.get_bars(symbol, "1Day", start=start)
            except NoDataError:
                continue
            bars.extend(_bars(symbol, frame))
        for bar in sorted(bars, key=lambda b: (b.timestamp, b.symbol)):
            fills.extend(self.broker.on_bar(bar))
        return fills

    def _open_run(self) -> bool:
        """Create the run, or check a stored one matches; False when it is completed."""
        plan = self.plan
        stored = self.store.get_run(plan.run_id)
        if stored is None:
            self.store.create_run(plan.run_id, "cycle", self.clock.now(), plan.config())
            return True
        if {k: stored.config.get(k) for k in plan.config()} != plan.config():
            raise ConfigError(
                f"run {plan.run_id!r} exists with other settings {stored.config}; "
                "use another --run-id"
            )
        if stored.status is RunStatus.COMPLETED:
            log.info("run already completed", extra={"run": plan.run_id})
            return False
        return True


def _interval(text: str) -> pd.Timedelta:
    from tradepit.market.timeframe import parse_timeframe

    return parse_timeframe(text)


def _enough(plan: LoopPlan, result: LoopResult) -> bool:
    if plan.once and result.cycles >= 1:
        return True
    return plan.max_cycles is not None and result.cycles >= plan.max_cycles


def _pause(plan: LoopPlan, interval: pd.Timedelta) -> float:
    return interval.total_seconds() / plan.speed if plan.speed > 0 else 0.0


def _bars(symbol: str, frame: pd.DataFrame) -> Iterator[Bar]:
    from decimal import Decimal

    for stamp, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        yield Bar(
            symbol=symbol,
            timestamp=pd.Timestamp(stamp).to_pydatetime(),
            open=Decimal(repr(float(row.open))),
            high=Decimal(repr(float(row.high))),
            low=Decimal(repr(float(row.low))),
            close=Decimal(repr(float(row.close))),
            volume=Decimal(repr(float(row.volume))) if row.volume == row.volume else Decimal(0),
        )


def install_stop_handlers(stop: threading.Event) -> Callable[[], None]:
    """SIGINT/SIGTERM set `stop` (the loop ends after the current cycle); a second SIGINT
    interrupts at once. Returns a function restoring the previous handlers."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, _frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.warning("stop requested (signal %d): finishing the current cycle", signum)
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def replay_window(
    source: Any, symbols: Sequence[str], start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """[start, end] of a replay over `source` (a HistoricalSource): by default the session of
    the last bar common to all symbols; never past the moment that bar completes."""
    frames = [source.frame(s) for s in symbols]
    last_open = min(pd.Timestamp(f.index[-1]) for f in frames)
    first_open = max(pd.Timestamp(f.index[0]) for f in frames)
    limit = last_open + DAY
    lo = pd.Timestamp(start) if start is not None else last_open
    hi = min(pd.Timestamp(end), limit) if end is not None else limit
    if lo < first_open or lo >= hi:
        raise ConfigError(
            f"no replay between {lo.date()} and {hi.date()}: data of {', '.join(symbols)} "
            f"covers {first_open.date()} .. {last_open.date()}"
        )
    return lo.to_pydatetime(), hi.to_pydatetime()
