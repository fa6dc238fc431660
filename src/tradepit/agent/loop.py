"""The autonomous loop: one cycle per interval during market hours, on a replay clock over
the bundled data (offline) or on the real clock with a live data source.

Ticks come from the exchange calendar (`tradepit.agent.schedule`); a pacer brings the clock
to each tick (a replay clock jumps, a live one is waited for). Cycle n is the n-th tick from
`start`, so a restarted loop finds where it was: cycles with a recorded decision are done,
the next one runs (the client_order_id of (run, cycle, symbol, leg) makes a repeated cycle's
orders duplicates the broker refuses, so nothing is sent twice). A live loop that was down
skips the ticks it missed (counted in `missed`) and continues with the next one.

Before each cycle the fills since the previous cycle are collected (`tradepit.agent.fills`):
the paper broker gets the bars completed since then (a bar of the bundled daily data is
complete at open + 1 day, so an order placed during a session fills at the next session's
open); a real broker reports its own fills. When that fails (data outage) the cycle is
skipped and reported; the next tick tries again with the same fills window. A stop request
(SIGINT/SIGTERM) ends the loop after the current cycle.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from tradepit.agent.fills import BarFills, FillSource
from tradepit.agent.schedule import Pacer, ReplayPacer, ticks
from tradepit.agent.service import AgentService, Reply, Tick
from tradepit.domain.errors import ConfigError, TradepitError
from tradepit.domain.models import Fill
from tradepit.storage import RunStatus

if TYPE_CHECKING:
    from tradepit.domain.ports import Broker, Clock, MarketData
    from tradepit.storage import Store

__all__ = ["LoopPlan", "LoopResult", "RunLoop", "ticks"]

log = logging.getLogger(__name__)

DAY = pd.Timedelta(days=1)
CycleHook = Callable[[int, pd.Timestamp, Any], None]


class LoopObserver(Protocol):
    """Told about every cycle (notifications, metrics). Must not raise."""

    def cycle_done(
        self, n: int, when: pd.Timestamp, reply: Reply, fills: Sequence[Fill]
    ) -> None: ...

    def cycle_skipped(self, n: int, when: pd.Timestamp, error: Exception) -> None: ...


def default_run_id(
    model: str, symbols: Sequence[str], interval: str, start: datetime | None
) -> str:
    """A readable id from the run's parameters: the same command resumes the same run
    (a live run has no start in its id: it resumes across days)."""
    when = "live" if start is None else f"{start:%Y%m%d}"
    raw = f"{model}-{'+'.join(symbols)}-{interval}-{when}"
    return re.sub(r"[^A-Za-z0-9.+_-]+", "_", raw)[:80]


@dataclass(frozen=True)
class LoopPlan:
    run_id: str
    model: str
    symbols: tuple[str, ...]
    interval: str
    start: datetime
    end: datetime | None
    """None: no end (live)."""
    once: bool = False
    speed: float = 0.0
    """Replay speed: replay seconds per wall-clock second; 0 = no waiting."""
    max_cycles: int | None = None
    calendar: str = "XNYS"
    live: bool = False

    def config(self) -> dict[str, Any]:
        """What identifies the run (a resumed run must match it)."""
        return {
            "model": self.model,
            "symbols": list(self.symbols),
            "interval": self.interval,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end is not None else None,
            "live": self.live,
            "calendar": self.calendar,
        }


@dataclass
class LoopResult:
    run_id: str
    cycles: int = 0
    """Cycles run by this invocation."""
    last_cycle: int | None = None
    status: str = "running"
    aborted: int = 0
    missed: int = 0
    """Live ticks that passed while the loop was down (skipped)."""
    skipped: int = 0
    """Cycles skipped because the fills could not be collected (data or broker outage)."""
    actions: dict[str, int] = field(default_factory=dict)


class RunLoop:
    """Drives `service.cycle` over the plan's ticks (see the module docstring). `pacer`
    defaults to a replay pacer on `clock`, `fills` to the paper broker fed with daily
    bars; `on_cycle(n, when, reply)` runs after each cycle, and the `observers` hear of
    every cycle done or skipped."""

    def __init__(
        self,
        plan: LoopPlan,
        service: AgentService,
        clock: Clock,
        feed: MarketData,
        broker: Broker,
        store: Store,
        stop: threading.Event | None = None,
        on_cycle: CycleHook | None = None,
        *,
        pacer: Pacer | None = None,
        fills: FillSource | None = None,
        account_id: str | None = None,
        observers: Sequence[LoopObserver] = (),
    ) -> None:
        self.plan, self.service, self.clock = plan, service, clock
        self.feed, self.broker, self.store = feed, broker, store
        self.stop = stop or threading.Event()
        self.on_cycle, self.observers = on_cycle, tuple(observers)
        self.pacer = pacer or ReplayPacer(clock, self.stop, plan.speed)  # type: ignore[arg-type]
        self.fills = fills or BarFills(feed, broker, plan.symbols)  # type: ignore[arg-type]
        self.account_id = account_id or getattr(broker, "account_id", plan.run_id)

    def run(self) -> LoopResult:
        """Run the cycles due (see the module docstring); logged when it starts and ends."""
        plan = self.plan
        log.info(
            "run starting", extra={"run": plan.run_id, "backend": plan.model,
                                   "symbols": ",".join(plan.symbols), "live": plan.live},
        )  # fmt: skip
        result = self._run()
        log.info(
            "run %s", "completed" if result.status == "completed" else "stopped",
            extra={"run": plan.run_id, "cycles": result.cycles, "aborted": result.aborted,
                   "skipped": result.skipped, "status": result.status},
        )  # fmt: skip
        return result

    def _run(self) -> LoopResult:
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
                    if n == last:
                        previous = when
                    continue
                if self.stop.is_set() or _enough(plan, result):
                    return result
                if self.pacer.missed(when):
                    result.missed += 1
                    continue
                if not self.pacer.reach(when):
                    return result
                if self._cycle(n, when, previous, result):
                    previous = when
                if not self.pacer.rest(interval):
                    return result
        except BaseException:
            self.store.finish_run(plan.run_id, self.clock.now(), RunStatus.FAILED)
            raise
        self.store.finish_run(plan.run_id, self.clock.now(), RunStatus.COMPLETED)
        result.status = "completed"
        return result

    def _cycle(
        self, n: int, when: pd.Timestamp, previous: pd.Timestamp | None, result: LoopResult
    ) -> bool:
        """One cycle; False when it was skipped (its fills could not be collected)."""
        plan = self.plan
        try:
            fills = self.fills.deliver(previous)
        except TradepitError as e:
            result.skipped += 1
            log.error(
                "cycle skipped: fills not collected: %s", e,
                extra={"run": plan.run_id, "cycle": n, "error_type": type(e).__name__},
            )  # fmt: skip
            for observer in self.observers:
                observer.cycle_skipped(n, when, e)
            return False
        reply = self.service.cycle(plan.run_id, Tick(cycle=n, fills=fills))
        account = self.broker.get_account()
        self.store.record_equity(self.account_id, self.clock.now(), account.equity, account.cash)
        result.cycles += 1
        result.last_cycle = n
        result.aborted += reply.status == "aborted"
        for action in reply.actions.values():
            result.actions[action] = result.actions.get(action, 0) + 1
        log.info(
            "cycle done",
            extra={"run": plan.run_id, "cycle": n, "status": reply.status, "at": when.isoformat()},
        )
        for observer in self.observers:
            observer.cycle_done(n, when, reply, fills)
        if self.on_cycle is not None:
            self.on_cycle(n, when, reply)
        return True

    def _open_run(self) -> bool:
        """Create the run, or check a stored one matches; False when it is completed."""
        plan = self.plan
        stored = self.store.get_run(plan.run_id)
        if stored is None:
            self.store.create_run(plan.run_id, "cycle", self.clock.now(), plan.config())
            return True
        expected = plan.config()
        older = {"live": False, "calendar": plan.calendar}  # what earlier versions left out
        found = older | {k: stored.config[k] for k in expected if k in stored.config}
        changed = [
            f"{_option(k)} {_shown(k, found[k])} (now {_shown(k, v)})"
            for k, v in expected.items()
            if found[k] != v
        ]
        if changed:
            raise ConfigError(
                f"run {plan.run_id!r} was started with {', '.join(changed)}: resume it with "
                "the same options, or give another --run-id"
            )
        if stored.status is RunStatus.COMPLETED:
            log.info("run already completed", extra={"run": plan.run_id})
            return False
        return True


def _option(key: str) -> str:
    """A run setting as its command-line option ("--start"); `live` has none."""
    return key if key == "live" else f"--{key}"


def _shown(key: str, value: Any) -> str:
    """A stored run setting as the user gives it: dates as days, the exclusive end as the
    last day it includes (--end 2017-07-14 is stored as 2017-07-15T00:00), symbols
    comma-separated."""
    if value is None:
        return "none"
    if key == "start":
        return f"{datetime.fromisoformat(value):%Y-%m-%d}"
    if key == "end":
        return f"{datetime.fromisoformat(value) - timedelta(microseconds=1):%Y-%m-%d}"
    if key == "symbols":
        return ",".join(value)
    return str(value)


def stored_start(store: Store, run_id: str) -> datetime | None:
    """The start of a stored run (a live run resumes from its first tick's numbering)."""
    stored = store.get_run(run_id)
    if stored is None or not stored.config.get("start"):
        return None
    return datetime.fromisoformat(stored.config["start"])


def _interval(text: str) -> pd.Timedelta:
    from tradepit.market.timeframe import parse_timeframe

    return parse_timeframe(text)


def _enough(plan: LoopPlan, result: LoopResult) -> bool:
    if plan.once and result.cycles >= 1:
        return True
    return plan.max_cycles is not None and result.cycles >= plan.max_cycles


def replay_window(
    source: Any, symbols: Sequence[str], start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """[start, end) of a replay over `source` (a HistoricalSource): by default the session of
    the last bar common to all symbols; never past the moment that bar completes. `end` is
    exclusive (the CLI passes the day after its inclusive --end)."""
    frames = [source.frame(s) for s in symbols]
    last_open = min(pd.Timestamp(f.index[-1]) for f in frames)
    first_open = max(pd.Timestamp(f.index[0]) for f in frames)
    limit = last_open + DAY
    lo = pd.Timestamp(start) if start is not None else last_open
    hi = min(pd.Timestamp(end), limit) if end is not None else limit
    covers = f"data of {', '.join(symbols)} covers {first_open.date()} .. {last_open.date()}"
    if lo < first_open:
        raise ConfigError(f"start {lo.date()} is before the data: {covers}")
    if end is not None and pd.Timestamp(end) <= lo:
        last = (pd.Timestamp(end) - DAY).date()
        raise ConfigError(f"end {last} is before start {lo.date()}")
    if lo >= hi:
        raise ConfigError(f"no replay between {lo.date()} and {hi.date()}: {covers}")
    return lo.to_pydatetime(), hi.to_pydatetime()
