"""Memory ablation statistics: does memory help? Each model runs with and without memory on
the same units (windows, or windows x symbols), and the report gives the paired differences
(with memory - without) of return, Sharpe and max drawdown: their means and 95 % bootstrap
intervals.

The arms run as battle competitors ``X`` and ``X+memory`` (`tradepit.battle.ablation`:
``tradepit battle --memory-ablation`` and ``tradepit memory ablation``);
`pairs_from_leaderboard` reads the two arms of a battle, `compare` summarises them.

**Statistics.** Per unit and arm: return % (after fees), Sharpe (per-tick returns,
annualised, risk free 0) and max drawdown % (<= 0; higher is shallower), as the battle
scores them. Over units: the mean paired difference with a 95 % percentile bootstrap
interval (2,000 resamples, seeded). Units of one window share its market, so whole windows
are resampled (a cluster bootstrap): with 5 windows the interval is honest but wide; with
one window there is no interval. An interval that excludes 0 is marked significant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

METRICS = ("return_pct", "sharpe", "max_drawdown_pct")
RESAMPLES = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class ArmResult:
    """One arm (with or without memory) of one model on one unit."""

    unit: str
    arm: Literal["without", "with"]
    model: str
    return_pct: float
    sharpe: float
    max_drawdown_pct: float
    cycles: int
    trades: int
    """Closed round trips."""
    window: int = 0
    """Units of one window share the market's moves: the bootstrap resamples windows."""


@dataclass(frozen=True)
class Interval:
    """A mean and its bootstrap interval (None with fewer than two windows)."""

    mean: float
    low: float | None
    high: float | None
    n: int = 0
    """Paired differences summarised."""

    @property
    def significant(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


def paired_bootstrap(
    diffs: Sequence[float], seed: int = 0, clusters: Sequence[int] | None = None
) -> Interval:
    """Mean of `diffs` and its `CONFIDENCE` percentile bootstrap interval. With `clusters`
    (e.g. each difference's window) whole clusters are resampled, as their differences
    are not independent (a cluster bootstrap); without, single differences are. Fewer than
    two clusters give no interval."""
    values = np.asarray(diffs, np.float64)
    if len(values) == 0:
        raise ValueError("no paired differences to summarise")
    labels = np.asarray(clusters if clusters is not None else range(len(values)))
    groups = [values[labels == g] for g in np.unique(labels)]
    if len(groups) < 2:
        return Interval(float(values.mean()), None, None, len(values))
    sums = np.array([g.sum() for g in groups])
    sizes = np.array([len(g) for g in groups], np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(groups), (RESAMPLES, len(groups)))
    means = sums[picks].sum(axis=1) / sizes[picks].sum(axis=1)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(float(values.mean()), float(low), float(high), len(values))


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
        differences = {m: i.to_dict() for m, i in self.differences.items()}
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


def _from_score(score: Any, arm: Literal["without", "with"], unit: str, window: int) -> ArmResult:
    return ArmResult(
        unit, arm, score.name, score.return_pct, score.sharpe, score.max_drawdown_pct,
        score.cycles, score.trades, window,
    )  # fmt: skip


def pairs_from_leaderboard(
    board: Any, without: int, with_memory: int, label: str = ""
) -> list[tuple[ArmResult, ArmResult]]:
    """The paired arms of a battle leaderboard (`tradepit.battle.Leaderboard`) in which
    competitor `without` runs without memory and `with_memory` with it: one unit per sample
    (named ``s<n>``, plus ``:<label>`` when given), clustered by sample."""
    pairs = []
    for sample in board.samples:
        scores = {s.index: s for s in sample.scores}
        unit = f"s{sample.sample}" + (f":{label}" if label else "")
        off = _from_score(scores[without], "without", unit, sample.sample)
        pairs.append((off, _from_score(scores[with_memory], "with", unit, sample.sample)))
    return pairs
