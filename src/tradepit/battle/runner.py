"""The battle runner: N competitors, one clock, one frozen snapshot per tick.

Per tick of a sample: the clock moves to the tick; the market snapshot is built ONCE and
the same snapshot goes to every competitor; each competitor's group (`battle.group`: in
this process or a forked worker, `battle.workers`) delivers the bars completed since the
previous tick to its paper brokers (fills of earlier orders; at the first tick accounts
are only marked to the last prices), runs the cycles (network models in threads), records
equity and writes the tick's records in one transaction; the runner records the
equal-weight buy-and-hold benchmark and reports the standings. Competitors are independent
(own account, graph, budget, buffer), so the outcome does not depend on how they are
grouped or in which order they run.

A battle with ``--windows K`` or ``--repeats N`` runs K or N samples one after the other,
each with fresh accounts (see `BattleConfig`). Competitors with memory (``+memory``) run in
the runner's process, where the battle's memory lives (`battle.memory`).

A battle ends completed, failed (an error other than a competitor's), or aborted: its
``stop`` event was set (it stops before the next tick, `battle.stop`) or it was
interrupted (KeyboardInterrupt). The battle's and its competitors' runs are all marked.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from tradepit.agent.backends import make_backend
from tradepit.agent.backends.base import ModelBackend
from tradepit.agent.budget import BudgetLimits
from tradepit.agent.deps import AgentDeps
from tradepit.agent.snapshot import build_snapshot
from tradepit.battle import config as ids
from tradepit.battle import records
from tradepit.battle.blind import Blinding
from tradepit.battle.competitor import OFFLINE
from tradepit.battle.config import BattleConfig, Competitor
from tradepit.battle.group import Deliveries, Group, Standing
from tradepit.battle.market import (
    Market,
    build_market,
    check_coverage,
    load_frames,
    schedule,
)
from tradepit.battle.market import split as split_ticks
from tradepit.battle.memory import BattleMemory
from tradepit.battle.ratelimit import ProviderLimits
from tradepit.battle.recording import TickBuffer, flush_all
from tradepit.battle.stop import BattleInterrupted
from tradepit.battle.workers import LocalGroup, ProcessGroup, WorkerError, can_fork, cores
from tradepit.broker import PaperConfig
from tradepit.clock import SystemClock
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError, TradepitError
from tradepit.domain.models import exact_decimal
from tradepit.market.timeframe import data_timeframe, parse_timeframe
from tradepit.risk import RiskGate, RiskLimits
from tradepit.storage import RunKind, RunStatus, Store

log = logging.getLogger(__name__)

BackendFactory = Callable[[Competitor, int], ModelBackend]
"""(competitor, sample) -> its backend for that sample (called in the runner's process)."""


@dataclass(frozen=True)
class Progress:
    sample: int
    samples: int
    tick: int
    ticks: int
    time: pd.Timestamp
    """Real time of the tick (also in a blind battle)."""
    benchmark_pct: float
    standings: tuple[Standing, ...]


@dataclass
class Plan:
    """A resolved battle: what `BattleConfig` leaves open, fixed before it starts."""

    run_id: str
    config: BattleConfig
    timeframe: str
    calendar: str
    limits: BudgetLimits
    samples: list[dict[str, Any]] = field(default_factory=list)
    replay_of: str | None = None

    def record(self) -> dict[str, Any]:
        return {
            "type": "battle",
            "config": self.config.model_dump(mode="json"),
            "timeframe": self.timeframe,
            "calendar": self.calendar,
            "limits": asdict(self.limits),
            "competitors": [c.model_dump() for c in self.config.competitors()],
            "samples": [{k: v for k, v in s.items() if k != "times"} for s in self.samples],
            "replay_of": self.replay_of,
        }


def budget_limits(config: BattleConfig, settings: Settings) -> BudgetLimits:
    base = BudgetLimits.from_settings(settings)
    update: dict[str, Any] = {}
    if config.budget_usd is not None:
        update["max_usd_per_run"] = config.budget_usd
        update["max_usd_per_cycle"] = min(base.max_usd_per_cycle, config.budget_usd)
    if config.budget_tokens is not None:
        update["max_tokens_per_run"] = config.budget_tokens
        update["max_tokens_per_cycle"] = min(base.max_tokens_per_cycle, config.budget_tokens)
    return BudgetLimits(**{**asdict(base), **update})


class BattleRunner:
    """Runs a battle and records it under `run_id` (see the module docstring)."""

    def __init__(
        self,
        config: BattleConfig,
        store: Store,
        run_id: str,
        *,
        settings: Settings | None = None,
        backends: BackendFactory | None = None,
        on_tick: Callable[[Progress], None] | None = None,
        limits: BudgetLimits | None = None,
        replay_of: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.config, self.store = config, store
        self.settings = settings or Settings()
        self.run_id = ids.check_run_id(run_id)
        self.on_tick = on_tick
        self.stop = stop or threading.Event()
        self._done: tuple[int, int, pd.Timestamp | None] = (1, 0, None)
        """(sample, ticks it completed, real time of the last one): how far the battle got."""
        self.rates = ProviderLimits(config.rpm)
        self._backends = backends or self._default_backend
        timeframe, calendar = self._load_market()
        self.plan = Plan(
            run_id, config, timeframe, calendar, limits or budget_limits(config, self.settings),
            replay_of=replay_of,
        )  # fmt: skip
        self.plan.samples = self._samples(calendar, timeframe)
        self.memory = BattleMemory(self.settings, store, config, self.run_id)
        self.paper = PaperConfig(
            starting_cash=exact_decimal(config.capital),
            commission_pct=exact_decimal(config.commission_pct),
            slippage_bps=exact_decimal(config.slippage_bps),
        )

    def _load_market(self) -> tuple[str, str]:
        """Load the battle's data; returns its bar timeframe and exchange calendar."""
        config = self.config
        self.frames, self.assets = load_frames(config.symbols, config.data)
        timeframe = data_timeframe(self.frames)
        if parse_timeframe(config.cadence) < parse_timeframe(timeframe):
            raise ConfigError(
                f"cadence {config.cadence} is finer than the data's {timeframe} bars "
                "(the bundled data is daily; give --data with intraday bars)"
            )
        return timeframe, self.assets[config.symbols[0]].calendar

    def _default_backend(self, competitor: Competitor, sample: int) -> ModelBackend:
        backend = make_backend(competitor.backend, self.settings, self.store)
        if type(backend).__name__ == "LiteLLMBackend":
            return self.rates.wrap(backend, competitor.backend)
        return backend

    def _samples(self, calendar: str, timeframe: str) -> list[dict[str, Any]]:
        config = self.config
        times = schedule(config.start, config.end, config.cadence, calendar)
        if len(times) < 2:
            raise ConfigError(
                f"{len(times)} {calendar} tick(s) from {config.start:%Y-%m-%d %H:%M} to "
                f"{config.end:%Y-%m-%d %H:%M} UTC: a battle needs at least 2 (a decision and "
                "a later mark); pick a longer window"
            )
        check_coverage(self.frames, times[0], timeframe, times[-1])
        if config.windows > 1:
            chunks = split_ticks(times, config.windows)
        else:
            chunks = [times] * config.repeats
        out = []
        for s, chunk in enumerate(chunks, start=1):
            seed = config.seed + s - 1
            blind = None
            if config.blind:
                plan = Blinding.plan(self.frames, chunk[0], parse_timeframe(timeframe), seed)
                blind = plan.to_json()
            out.append({
                "sample": s, "start": chunk[0].isoformat(), "end": chunk[-1].isoformat(),
                "ticks": len(chunk), "seed": seed, "blind": blind, "times": chunk,
            })  # fmt: skip
        return out

    # -- running ---------------------------------------------------------------------------

    def run(self) -> str:
        """Run every sample; returns the battle's run id. The run is marked failed (and the
        error re-raised) when something other than a competitor breaks; aborted when it is
        stopped (`BattleInterrupted`, saying how far it got) or interrupted."""
        if (existing := self.store.get_run(self.run_id)) is not None:
            raise ConfigError(_exists(self.store, existing))
        self.store.create_run(self.run_id, RunKind.BATTLE, SystemClock().now(), self.plan.record())
        try:
            with _quiet_gc():
                for sample in self.plan.samples:
                    self._done = (sample["sample"], 0, None)
                    self._check_stop()
                    self._run_sample(sample)
        except BaseException as e:
            status = self._ending(e)
            self.store.finish_run(self.run_id, SystemClock().now(), status)
            if status is RunStatus.ABORTED:
                if not isinstance(e, KeyboardInterrupt):
                    raise BattleInterrupted(self._stopped()) from e
                e.add_note(self._stopped())  # for the CLI's one line
            raise
        self.store.finish_run(self.run_id, SystemClock().now(), RunStatus.COMPLETED)
        return self.run_id

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise BattleInterrupted("stop requested")

    def _ending(self, error: BaseException) -> RunStatus:
        """Aborted when stopped or interrupted (a worker killed by the same stop included),
        else failed."""
        if isinstance(error, KeyboardInterrupt | BattleInterrupted):
            return RunStatus.ABORTED
        if isinstance(error, WorkerError) and self.stop.is_set():
            return RunStatus.ABORTED
        return RunStatus.FAILED

    def _stopped(self) -> str:
        """How far an aborted battle got."""
        s, done, last = self._done
        ticks = self.plan.samples[s - 1]["ticks"]
        where = f"sample {s} of {len(self.plan.samples)}, " if len(self.plan.samples) > 1 else ""
        if done:
            got = f"after {done} of {ticks} ticks (last {records.stamp(last)})"
        else:
            got = f"before the first of {ticks} ticks"
        return f"battle {self.run_id} stopped {where}{got}; recorded as aborted (incomplete)"

    def _market(self, sample: dict[str, Any]) -> Market:
        blind = Blinding.from_json(sample["blind"]) if sample["blind"] else None
        return build_market(self.frames, self.assets, sample["times"], self.plan.timeframe, blind)

    def _create_runs(self, s: int, market: Market) -> list[str]:
        """The competitor runs of sample `s` (their ids)."""
        out = []
        for c in self.config.competitors():
            run = ids.competitor_run(self.run_id, s, c.index)
            info = {"battle": self.run_id, "sample": s, "competitor": c.index, "name": c.name,
                    "model": c.model}  # fmt: skip
            self.store.create_run(run, RunKind.BATTLE, market.clock.now(), info)
            out.append(run)
        return out

    def _groups(self, s: int, market: Market) -> list[LocalGroup | ProcessGroup]:
        """The sample's competitors split over this process and forked workers."""
        comps = self.config.competitors()
        backends = {c.index: self._backends(c, s) for c in comps}  # built here, before forking
        online = any(type(b).__name__ not in OFFLINE for b in backends.values())
        chunks = self._chunks(comps, self._workers(len(comps), online))
        groups: list[LocalGroup | ProcessGroup] = []
        try:
            for k, chunk in enumerate(chunks):
                members = [comps[i] for i in chunk]
                if k == 0:
                    group = self._group(s, members, backends, market, memories=True)
                    groups.append(LocalGroup(group))
                    continue
                make = self._group_factory(s, members, backends, market)
                groups.append(ProcessGroup(self.store, make, f"battle-{self.run_id}-w{k}"))
        except BaseException:
            for g in groups:
                g.close()
            raise
        return groups

    @staticmethod
    def _chunks(comps: list[Competitor], workers: int) -> list[list[int]]:
        """Competitor indexes per group, this process's first: the smallest share, or every
        competitor with memory (the memory stays in this process, see `battle.memory`) and
        the others over the remaining workers."""
        mine = [c.index for c in comps if c.memory]
        rest = [c.index for c in comps if not c.memory]
        if not mine:
            chunks = [list(map(int, ch)) for ch in np.array_split(np.arange(len(comps)), workers)]
            return chunks[::-1]  # the smallest share stays here, where the snapshot is built too
        spare = min(workers - 1, len(rest))
        if spare < 1:
            return [mine + rest]
        return [mine, *(list(map(int, ch)) for ch in np.array_split(np.array(rest), spare))]

    def _workers(self, competitors: int, online: bool) -> int:
        """Worker processes for CPU-bound (offline) battles. With network models `auto` stays
        in one process: they wait on the network in threads, and the per-provider rate limit
        is per process."""
        mode = self.config.concurrency
        if mode not in ("auto", "processes") or not can_fork(self.store):
            return 1
        if mode == "auto" and online:
            return 1
        return max(1, min(cores(), competitors))

    def _group(
        self,
        s: int,
        members: list[Competitor],
        backends: dict,
        market: Market,
        store: Any = None,
        memories: bool = False,
    ) -> Group:
        threads = {"processes": "auto"}.get(self.config.concurrency, self.config.concurrency)
        return self._new_group(
            self.run_id, s, members, market, store or self.store,
            lambda c, _s: backends[c.index], self.paper, self.plan.limits, threads,
            memories=self.memory.scope if memories else None,
            shared_memory=self.config.shared_memory,
        )  # fmt: skip

    def _new_group(self, *args: Any, **kwargs: Any) -> Group:
        """The group of `_group`'s arguments (live battles on Alpaca accounts make theirs)."""
        return Group(*args, **kwargs)

    def _group_factory(
        self, s: int, members: list[Competitor], backends: dict, market: Market
    ) -> Callable[[Store], Group]:
        def make(store: Store) -> Group:
            return self._group(s, members, backends, market, store)

        return make

    def _run_sample(self, sample: dict[str, Any]) -> None:
        """Run one sample; its competitor runs end with the sample's outcome."""
        s = sample["sample"]
        market = self._market(sample)
        runs = self._create_runs(s, market)
        status = RunStatus.COMPLETED
        try:
            groups = self._groups(s, market)
            try:
                self._run_ticks(sample, market, groups)
            finally:
                for g in groups:
                    g.close()
        except BaseException as e:
            status = self._ending(e)
            raise
        finally:
            for run in runs:
                self.store.finish_run(run, market.clock.now(), status)

    def _run_ticks(
        self, sample: dict[str, Any], market: Market, groups: list[LocalGroup | ProcessGroup]
    ) -> None:
        s = sample["sample"]
        bench = TickBuffer(self.store)
        series = ids.benchmark_series(self.run_id, s)
        local = groups[0]
        if isinstance(local, LocalGroup):
            local.group.extra.append(bench)  # written in the local group's transaction
        deliveries = Deliveries(market)
        base: dict[str, float] = {}
        for n, when in enumerate(market.ticks):
            self._check_stop()
            market.clock.advance_to(pd.Timestamp(when).to_pydatetime())
            market.feed.begin_tick()
            value = _benchmark(deliveries.prices(), base, self.config.capital)
            bench.record_equity(series, market.clock.now(), exact_decimal(value), exact_decimal(0))
            snapshot = self._snapshot(market)
            for g in reversed(groups):  # workers first, so they run while we do
                g.send(n, when, snapshot)
            standings = [row for g in groups for row in g.receive()]
            flush_all(self.store, [bench])  # no-op unless the local group is remote
            real = _real_time(market, n)
            self._done = (s, n + 1, real)
            self._report(sample, n, real, market, standings, value)

    def _snapshot(self, market: Market) -> Any | None:
        """The tick's market-only snapshot, built once for all (None: each competitor's
        graph tries itself and records the abort)."""
        deps = AgentDeps(
            broker=_NO_BROKER, market=market.feed, clock=market.clock, gate=RiskGate(),
            limits=RiskLimits(), symbols=market.symbols, mode="battle",
        )  # fmt: skip
        try:
            return build_snapshot(deps, market.symbols, portfolio=False, timeframe=market.timeframe)
        except TradepitError as e:
            log.warning("no snapshot at %s: %s", market.clock.now(), e)
            return None

    def _report(
        self,
        sample: dict,
        n: int,
        real: pd.Timestamp,
        market: Market,
        standings: list[Standing],
        value: float,
    ) -> None:
        if self.on_tick is None:
            return
        capital = self.config.capital
        self.on_tick(
            Progress(
                sample["sample"], len(self.plan.samples), n, len(market.ticks), real,
                100 * (value / capital - 1), tuple(sorted(standings, key=lambda r: r.index)),
            )
        )  # fmt: skip


def _real_time(market: Market, n: int) -> pd.Timestamp:
    """Real time of tick `n` (also in a blind battle)."""
    real = pd.Timestamp(market.ticks[n])
    return real - market.blinding.offset if market.blinding is not None else real


def _exists(store: Store, run: Any) -> str:
    """Why a battle cannot be recorded under `run`'s id (taken), and, when that battle is
    incomplete, what it recorded and what to do."""
    taken = f"battle {run.id!r} exists"
    if run.config.get("type") != "battle" or run.status is RunStatus.COMPLETED:
        return f"{taken}; pick another --run-id"
    progress = records.progress(store, records.load_battle(store, run.id))
    return (
        f"{taken} and is incomplete ({progress}); a battle cannot be resumed: see what it "
        f"recorded with `tradepit battle show {run.id}`, or run it again under another --run-id"
    )


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """Fewer cyclic-GC passes during the run (a battle allocates millions of short-lived
    objects; the default thresholds re-scan the long-lived ones over and over: ~10% of the
    CPU). Objects alive at the start are frozen, which also keeps forked workers' pages
    shared. Restored afterwards."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _benchmark(prices: dict[str, Decimal], base: dict[str, float], capital: float) -> float:
    """Equal-weight buy-and-hold from the first tick's closes (`base`, filled on the first
    call), no costs."""
    closes = {s: float(p) for s, p in prices.items()}
    if not base:
        base.update(closes)
    ratios = [closes[s] / base[s] for s in base if s in closes]
    return capital * sum(ratios) / len(ratios) if ratios else capital


class _NoBroker:
    """The market-only snapshot never touches a broker."""

    def __getattr__(self, name: str) -> Any:
        raise TradepitError(f"the market snapshot must not use the broker ({name})")


_NO_BROKER: Any = _NoBroker()
