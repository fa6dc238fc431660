"""A group of competitors that runs one tick at a time, in this process.

The runner splits the competitors into groups: one runs in the runner's process, the
others in worker processes (`battle.workers`), so offline battles use every core. Within a
group, network models run concurrently in threads and offline ones inline. A group owns
its competitors' market view (clock, feed, delivered bars), their buffers and one flush
per tick; the runner sends the tick's time and snapshot and gets `Standing`s back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from tradepit.agent.budget import BudgetLimits
from tradepit.battle import config as ids
from tradepit.battle.competitor import CompetitorRun
from tradepit.battle.config import Competitor
from tradepit.battle.market import Market
from tradepit.battle.recording import FlagCache, TickBuffer, flush_all
from tradepit.broker import PaperConfig
from tradepit.domain.errors import NoDataError
from tradepit.domain.models import Bar
from tradepit.market.arrays import frame_bars
from tradepit.storage import Store

log = logging.getLogger(__name__)

BackendFactory = Callable[[Competitor, int], Any]
MemoryFactory = Callable[[Competitor, int], Any]
"""(competitor, sample) -> its `MemoryScope`, or None (no memory)."""


@dataclass(frozen=True)
class Standing:
    """One live leaderboard row."""

    index: int
    name: str
    equity: float
    return_pct: float
    fills: int
    failures: int
    status: str
    tokens: int
    usd: float


class Deliveries:
    """Which bars each symbol has delivered to the paper brokers."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self.delivered: dict[str, pd.Timestamp] = {}
        self.started = False

    def new_bars(self) -> list[Bar]:
        """Bars completed since the previous tick, in time order (none at the first: the
        accounts start at the first tick)."""
        feed, timeframe = self.market.feed.feed, self.market.timeframe
        out: list[Bar] = []
        for symbol in self.market.symbols:
            last = self.delivered.get(symbol)
            start = None if last is None else (last + pd.Timedelta(1, "us")).to_pydatetime()
            frame = feed.get_bars(symbol, timeframe, start=start)
            if len(frame):
                self.delivered[symbol] = pd.Timestamp(frame.index[-1])
                if self.started:
                    out.extend(frame_bars(symbol, frame))
        self.started = True
        out.sort(key=lambda b: (b.timestamp, b.symbol))
        return out

    def prices(self) -> dict[str, Decimal]:
        out = {}
        for symbol in self.market.symbols:
            try:
                out[symbol] = self.market.feed.latest_quote(symbol).last
            except NoDataError:
                log.debug("no price yet for %s", symbol)
        return out


class Group:
    """Competitors of one sample run in this process (see the module docstring)."""

    def __init__(
        self,
        run_id: str,
        sample: int,
        competitors: Sequence[Competitor],
        market: Market,
        store: Store,
        backends: BackendFactory,
        paper: PaperConfig,
        limits: BudgetLimits,
        threaded: str = "auto",
        memories: MemoryFactory | None = None,
        shared_memory: bool = False,
    ) -> None:
        self.market, self.store, self.paper, self.limits = market, store, paper, limits
        self.flags = FlagCache(store)
        self.comps = [
            self._competitor(
                c, ids.competitor_run(run_id, sample, c.index),
                ids.account_id(run_id, sample, c.index), backends(c, sample),
                memories(c, sample) if memories is not None else None,
            )
            for c in competitors
        ]  # fmt: skip
        self.flags.scopes = [c.run_id for c in self.comps]
        self.deliveries = Deliveries(market)
        self._fills: dict[int, list] = {}
        """The fills each competitor's paper broker made since the last tick."""
        self.capital = float(paper.starting_cash)
        self.threaded = [
            c for c in self.comps
            if _threaded(c, threaded) and not (shared_memory and c.spec.memory)
        ]  # fmt: skip
        """A shared memory is written by one competitor at a time, in their order."""
        self.pool = ThreadPoolExecutor(len(self.threaded), "battle") if self.threaded else None
        self.extra: list[TickBuffer] = []
        """Other buffers written in this group's transaction (the runner's benchmark)."""

    def _competitor(
        self, spec: Competitor, run: str, account: str, backend: Any, memory: Any
    ) -> CompetitorRun:
        """Competitor `spec` on its own paper account."""
        return CompetitorRun(
            spec, run, account, backend, self.market, self.store, self.paper, self.limits,
            flags=self.flags, memory=memory,
        )  # fmt: skip

    def tick(self, n: int, when: pd.Timestamp, snapshot: Any | None) -> list[Standing]:
        market = self.market
        at = pd.Timestamp(when)
        moment = at.to_pydatetime()
        if market.clock.now() != moment or n == 0:  # the runner's own group shares its market
            market.clock.advance_to(moment)
            market.feed.begin_tick()
        self.flags.refresh()
        self._before_cycles(n)
        futures = [self.pool.submit(self._turn, c, n, at, snapshot) for c in self.threaded]
        for c in self.comps:
            if c not in self.threaded:
                self._turn(c, n, at, snapshot)
        for future in futures:
            future.result()
        now = market.clock.now()
        standings = [self._standing(c, now) for c in self.comps]
        flush_all(self.store, [*(c.buffer for c in self.comps), *self.extra])
        return standings

    def _before_cycles(self, n: int) -> None:
        """Bars completed since the last tick go to the paper brokers (their fills to the
        cycles); at the first tick the accounts are marked to the prices."""
        bars = self.deliveries.new_bars()
        self._fills = {c.spec.index: c.deliver(bars) for c in self.comps}
        if n == 0:
            prices = self.deliveries.prices()
            for c in self.comps:
                c.mark(prices)

    def _turn(self, c: Any, n: int, at: pd.Timestamp, snapshot: Any | None) -> None:
        c.cycle(n, self._fills[c.spec.index], snapshot)

    def _standing(self, c: Any, now: Any) -> Standing:
        """The competitor's equity point (recorded) and its standing."""
        account = c.account()
        c.buffer.record_equity(c.account_id, now, account.equity, account.cash)
        return standing(c, float(account.equity), self.capital)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def standing(c: CompetitorRun, equity: float, capital: float) -> Standing:
    """`c`'s standing at `equity`, its return measured against `capital`."""
    s = c.stats
    return Standing(
        c.spec.index, c.spec.name, equity, 100 * (equity / capital - 1), s.fills, s.failures,
        s.status, s.tokens, s.usd,
    )  # fmt: skip


def _threaded(c: CompetitorRun, mode: str) -> bool:
    return mode == "threads" or (mode != "sequential" and c.online)
