"""Memory ablation: does memory help? Every model runs with and without memory on the same
windows, and the report gives the paired differences (with memory - without) of return,
Sharpe and max drawdown, their means and 95 % bootstrap intervals.

**Arms.** ``rules:<s>`` runs as itself without memory and as ``rules:<s>+recall`` with it
(the rules read no prompt; ``+recall`` is what uses the memory). Any other spec runs as
itself twice: without memory, and with the recall tools, memories in its prompts and its
decisions journalled.

**Units.** [start, end] is split into `windows` consecutive runs of exchange sessions (one
tick at each close). With `per_symbol` (default) each symbol trades in its own paper account,
so a unit is (window, symbol); otherwise one account trades all symbols and a unit is a
window. Each arm starts each unit with the same cash, on the same ticks and bars.

**Memory.** With `carry` (default) the memory arm keeps one memory per symbol (or portfolio)
across the consecutive windows, as an agent running without a break would: window k recalls
what it and earlier windows wrote, point-in-time. Without `carry` each unit starts empty.
The vector store is in-process chromadb; entries also go to the store's journal table.

**Statistics.** Per unit and arm: return %, Sharpe (daily returns, annualised by 252, risk
free 0) and max drawdown % (<= 0; higher is shallower) of the equity at every tick. Over
units: the mean paired difference with a 95 % percentile bootstrap interval (2,000 resamples,
seeded). The symbols of one window share its market, so whole windows are resampled (a
cluster bootstrap): with 5 windows the interval is honest but wide. An interval that
excludes 0 is marked significant.

The battle runner (`tradepit.battle`) has no memory option yet (its competitors get no
`deps.memory` and an allowlist of tools without recall), so the arms run on the agent's loop
(`tradepit.agent.loop.RunLoop`), wired like `tradepit run`; `pairs_from_leaderboard` reads
the arms of a battle once it has one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from tradepit.config import Settings
    from tradepit.memory.service import Memory, MemoryScope
    from tradepit.storage import Store

log = logging.getLogger(__name__)

RECALL = "+recall"
METRICS = ("return_pct", "sharpe", "max_drawdown_pct")
PERIODS_PER_YEAR = 252
RESAMPLES = 2000
CONFIDENCE = 0.95


def memory_arm(spec: str) -> tuple[str, str]:
    """(without memory, with memory) specs of a model spec."""
    spec = spec.strip()
    base = spec.removesuffix(RECALL)
    if base.startswith("rules:"):
        return base, base + RECALL
    return spec, spec


@dataclass(frozen=True)
class Unit:
    """One window of one symbol (or of all symbols, traded together)."""

    window: int
    symbols: tuple[str, ...]
    start: datetime
    end: datetime

    @property
    def name(self) -> str:
        return f"w{self.window}:{'+'.join(self.symbols)}"


def default_window(symbols: Sequence[str], windows: int) -> tuple[datetime, datetime]:
    """The last `windows` years of daily bars common to `symbols` (bundled data)."""
    from tradepit.bootstrap import bundled_source

    frames = [bundled_source().frame(s) for s in symbols]
    end = min(pd.Timestamp(f.index[-1]) for f in frames) + pd.Timedelta(days=1)
    return (end - pd.DateOffset(years=windows)).to_pydatetime(), end.to_pydatetime()


def plan_units(
    symbols: Sequence[str],
    start: datetime,
    end: datetime,
    windows: int,
    per_symbol: bool = True,
    calendar: str = "XNYS",
) -> list[Unit]:
    """`windows` consecutive windows of the daily ticks in [start, end] (like the battle's
    `--windows`), each for every symbol (`per_symbol`) or for all symbols together."""
    from tradepit.agent.loop import ticks

    times = list(ticks(start, end, pd.Timedelta(days=1), calendar))
    if windows < 1 or len(times) < 2 * windows:
        raise ValueError(f"{len(times)} sessions cannot make {windows} windows of 2 or more")
    groups = [(s,) for s in symbols] if per_symbol else [tuple(symbols)]
    units = []
    for k, chunk in enumerate(np.array_split(np.arange(len(times)), windows), start=1):
        lo, hi = times[chunk[0]].to_pydatetime(), times[chunk[-1]].to_pydatetime()
        units.extend(Unit(k, group, lo, hi) for group in groups)
    return units


def curve_metrics(equity: Sequence[float]) -> dict[str, float]:
    """Return %, annualised Sharpe and max drawdown % of an equity curve."""
    from tradepit.backtest.metrics import drawdown, sharpe_ratio

    values = np.asarray(equity, np.float64)
    returns = np.diff(values) / values[:-1]
    return {
        "return_pct": 100.0 * float(values[-1] / values[0] - 1.0),
        "sharpe": float(sharpe_ratio(returns, PERIODS_PER_YEAR)),
        "max_drawdown_pct": 100.0 * float(drawdown(values).min()),
    }


@dataclass(frozen=True)
class ArmResult:
    unit: str
    arm: Literal["without", "with"]
    model: str
    return_pct: float
    sharpe: float
    max_drawdown_pct: float
    cycles: int
    orders: int
    """Cycles in which an order tool was used (buy, sell or close)."""
    window: int = 0
    """Units of one window share the market's moves: the bootstrap resamples windows."""


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def paired_bootstrap(
    diffs: Sequence[float], seed: int = 0, clusters: Sequence[int] | None = None
) -> Interval:
    """Mean of `diffs` and its `CONFIDENCE` percentile bootstrap interval. With `clusters`
    (e.g. each difference's window) whole clusters are resampled, as their differences
    are not independent (a cluster bootstrap); without, single differences are."""
    values = np.asarray(diffs, np.float64)
    if len(values) == 0:
        raise ValueError("no paired differences to summarise")
    labels = np.asarray(clusters if clusters is not None else range(len(values)))
    groups = [values[labels == g] for g in np.unique(labels)]
    sums = np.array([g.sum() for g in groups])
    sizes = np.array([len(g) for g in groups], np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(groups), (RESAMPLES, len(groups)))
    means = sums[picks].sum(axis=1) / sizes[picks].sum(axis=1)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(float(values.mean()), float(low), float(high))


@dataclass(frozen=True)
class AblationReport:
    """One model: every unit's two arms and the differences (with - without)."""

    model: str
    pairs: list[tuple[ArmResult, ArmResult]]
    differences: dict[str, Interval] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        units = []
        for off, on in self.pairs:
            diff = {m: getattr(on, m) - getattr(off, m) for m in METRICS}
            units.append({"unit": off.unit, "without": asdict(off), "with": asdict(on),
                          "difference": diff})  # fmt: skip
        differences = {
            m: {**asdict(i), "significant": i.significant} for m, i in self.differences.items()
        }
        return {"model": self.model, "units": units, "differences": differences}


def compare(
    model: str, pairs: Sequence[tuple[ArmResult, ArmResult]], seed: int = 0
) -> AblationReport:
    """Paired differences over units, each metric's mean with its bootstrap interval
    (resampling windows: the units of one window are not independent)."""
    if any(off.unit != on.unit for off, on in pairs):
        raise ValueError("arms must be paired by unit")
    windows = [off.window for off, _ in pairs]
    diffs = {
        m: paired_bootstrap([getattr(on, m) - getattr(off, m) for off, on in pairs], seed, windows)
        for m in METRICS
    }
    return AblationReport(model, list(pairs), diffs)


def _from_score(score: Any, arm: Literal["without", "with"], window: int) -> ArmResult:
    unit = f"s{window}"
    return ArmResult(
        unit, arm, score.model, score.return_pct, score.sharpe, score.max_drawdown_pct,
        score.cycles, score.trades, window,
    )  # fmt: skip


def pairs_from_leaderboard(
    board: Any, without: int, with_memory: int
) -> list[tuple[ArmResult, ArmResult]]:
    """The paired arms of a battle leaderboard (`tradepit.battle.Leaderboard`) in which
    competitor `without` runs without memory and `with_memory` with it: one unit per
    sample. For battles once competitors can be given a memory; `compare` takes the pairs."""
    pairs = []
    for sample in board.samples:
        scores = {s.index: s for s in sample.scores}
        off = _from_score(scores[without], "without", sample.sample)
        pairs.append((off, _from_score(scores[with_memory], "with", sample.sample)))
    return pairs


# -- running ------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+_-]+", "_", text)[:40]


def run_arm(
    unit: Unit,
    spec: str,
    arm: Literal["without", "with"],
    store: Store,
    settings: Settings,
    run_id: str,
    memory: MemoryScope | None = None,
) -> ArmResult:
    """Run `spec` over `unit` on the agent loop with a fresh paper account (and `memory`)."""
    from langgraph.checkpoint.memory import InMemorySaver

    from tradepit.agent.backends import make_backend
    from tradepit.agent.budget import BudgetLimits
    from tradepit.agent.deps import AgentDeps
    from tradepit.agent.graph import build_graph
    from tradepit.agent.loop import LoopPlan, RunLoop
    from tradepit.agent.service import AgentService
    from tradepit.bootstrap import build_feed, bundled_source, mark_to_market, paper_config
    from tradepit.broker import InMemoryLedgerStore, PaperBroker
    from tradepit.clock import ReplayClock
    from tradepit.risk import RiskGate, RiskLimits
    from tradepit.tools.registry import default_tools

    clock = ReplayClock(unit.start)
    feed = build_feed(clock, bundled_source())
    ledger = InMemoryLedgerStore()
    broker = PaperBroker(clock, feed.get_asset, paper_config(settings), ledger, f"paper-{run_id}")
    limits = RiskLimits()
    deps = AgentDeps(
        broker=broker, market=feed, clock=clock, gate=RiskGate(limits), limits=limits,
        store=store, symbols=unit.symbols, memory=memory,
    )  # fmt: skip
    service = AgentService(
        deps, make_backend(spec, settings, store), build_graph(InMemorySaver()),
        tools=default_tools(memory=memory is not None),
        limits=BudgetLimits.from_settings(settings),
        prepare=lambda d: mark_to_market(broker, feed, unit.symbols),
    )  # fmt: skip
    equity = [float(broker.get_account().equity)]
    traded = [0]

    def on_cycle(n: int, when: Any, reply: Any) -> None:
        equity.append(float(broker.get_account().equity))
        traded[0] += bool(reply.actions)

    plan = LoopPlan(run_id, spec, unit.symbols, "1Day", unit.start, unit.end)
    RunLoop(plan, service, clock, feed, broker, store, on_cycle=on_cycle).run()
    return ArmResult(
        unit=unit.name, arm=arm, model=spec, cycles=len(equity) - 1, orders=traded[0],
        window=unit.window, **curve_metrics(equity),
    )  # fmt: skip


def ablation_memory(store: Store) -> Memory:
    """A memory on `store` with in-process chromadb (fast; gone when the process ends)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from tradepit.memory.embeddings import LocalEmbeddingFunction
    from tradepit.memory.service import Memory
    from tradepit.memory.vector import VectorIndex

    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    return Memory(store, VectorIndex(client, LocalEmbeddingFunction(threads=1)))


Progress = Callable[[ArmResult], None]


def run_ablation(
    models: Sequence[str],
    units: Sequence[Unit],
    store: Store,
    settings: Settings,
    *,
    ablation_id: str,
    carry: bool = True,
    seed: int = 0,
    on_arm: Progress | None = None,
) -> list[AblationReport]:
    """Every model's two arms on every unit (units in time order), and the reports."""
    from tradepit.memory import namespaces

    memory = ablation_memory(store)
    reports = []
    for spec in models:
        without, with_memory = memory_arm(spec)
        pairs = []
        for unit in sorted(units, key=lambda u: (u.window, u.symbols)):
            owner = f"{ablation_id}-{_slug(without)}-{'+'.join(unit.symbols)}"
            run = f"{owner}-w{unit.window}"
            scope = memory.scope(namespaces.agent(namespaces.safe_part(owner if carry else run)))
            results = (
                run_arm(unit, without, "without", store, settings, f"{run}-off"),
                run_arm(unit, with_memory, "with", store, settings, f"{run}-mem", scope),
            )
            for result in results:
                log.info("ablation arm done: %s", result)
                if on_arm is not None:
                    on_arm(result)
            pairs.append(results)
        reports.append(compare(without, pairs, seed))
    return reports
