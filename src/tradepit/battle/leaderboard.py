"""The leaderboard of a recorded battle, computed from the store alone (so a run, `battle
show` and `battle replay` agree by construction), and the comparison a replay is judged by.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from tradepit.battle import config as ids
from tradepit.battle import records
from tradepit.battle.ablation import memory_ablation
from tradepit.battle.records import BattleRecord
from tradepit.battle.scoring import (
    Aggregate,
    Score,
    aggregate,
    benchmark_score,
    curve_metrics,
    rank,
    trade_metrics,
)
from tradepit.market.timeframe import annualisation_factor
from tradepit.memory.ablation import AblationReport
from tradepit.storage import Store


@dataclass(frozen=True)
class SampleBoard:
    sample: int
    start: pd.Timestamp
    end: pd.Timestamp
    ticks: int
    scores: tuple[Score, ...]
    """Ranked, best first."""
    benchmark: Score
    recorded: records.Recorded
    """Ticks recorded and the last one's time (fewer than `ticks` in an incomplete battle)."""

    def window(self) -> str:
        """The dates the sample covers: its plan's, or where an incomplete one stops."""
        planned = f"{self.start:%Y-%m-%d} .. {self.end:%Y-%m-%d}"
        got = self.recorded
        if got.ticks >= self.ticks:
            return planned
        if got.last is None:
            return f"no tick recorded (planned {planned}, {self.ticks} ticks)"
        return (
            f"{self.start:%Y-%m-%d} .. {records.stamp(got.last)}, {got.ticks} of {self.ticks} "
            f"ticks (planned to {self.end:%Y-%m-%d})"
        )

    def to_dict(self) -> dict[str, Any]:
        last = self.recorded.last
        return {
            "sample": self.sample,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "ticks": self.ticks,
            "ticks_recorded": self.recorded.ticks,
            "last_tick": None if last is None else last.isoformat(),
            "scores": [s.to_dict() for s in self.scores],
            "benchmark": self.benchmark.to_dict(),
        }


@dataclass(frozen=True)
class Leaderboard:
    run_id: str
    record: BattleRecord
    samples: tuple[SampleBoard, ...]
    aggregates: tuple[Aggregate, ...]
    """Per competitor over the samples (empty for a one-sample battle)."""
    ablation: tuple[AblationReport, ...] = ()
    """Per model run both without and with memory (``X`` and ``X+memory``): the paired
    differences over the samples (`battle.ablation`)."""

    @property
    def complete(self) -> bool:
        """The battle completed with every tick recorded (not stopped, failed or running)."""
        return records.complete(self.record, [s.recorded for s in self.samples])

    def label(self) -> str:
        """``Battle ID``, and ``(STATUS, incomplete)`` unless it is complete."""
        if self.complete:
            return f"Battle {self.run_id}"
        return f"Battle {self.run_id} ({self.record.run.status.value}, incomplete)"

    def to_dict(self) -> dict[str, Any]:
        config = self.record.config
        return _finite(
            {
                "run_id": self.run_id,
                "replay_of": self.record.replay_of,
                "status": self.record.run.status.value,
                "complete": self.complete,
                "models": list(config.models),
                "symbols": list(config.symbols),
                "cadence": config.cadence,
                "capital": config.capital,
                "blind": config.blind,
                "samples": [s.to_dict() for s in self.samples],
                "aggregate": [a.to_dict() for a in self.aggregates],
                "memory_ablation": [r.to_dict() for r in self.ablation],
            }
        )

    def metrics(self) -> dict[str, Any]:
        """Everything a replay must reproduce: per sample and competitor, every metric."""
        out: dict[str, Any] = {}
        for board in self.samples:
            for s in (*board.scores, board.benchmark):
                out[f"s{board.sample}/{s.index}"] = s.to_dict()
        for a in self.aggregates:
            out[f"agg/{a.index}"] = a.to_dict()
        return out


def score_sample(store: Store, record: BattleRecord, sample: records.Sample) -> SampleBoard:
    periods = annualisation_factor(record.calendar, record.config.cadence)
    capital = record.config.capital
    bench_curve = records.equity_series(
        store, ids.benchmark_series(record.id, sample.sample), sample.blinding
    )
    bench = benchmark_score(bench_curve, periods)
    scores = []
    for c in record.competitors:
        run_id, account = records.competitor_ids(record, sample.sample, c)
        curve = records.equity_series(store, account, sample.blinding)
        metrics = curve_metrics(curve, periods)
        trades = trade_metrics(store.list_fills(account))
        use = records.usage(store, run_id)
        done = records.outcomes(store, run_id)
        end = float(curve.iloc[-1]) if len(curve) else capital
        net = 100.0 * ((end - use.cost_usd) / capital - 1.0)
        scores.append(
            Score(
                index=c.index, name=c.name, model=c.model, net_return_pct=net,
                excess_pct=net - bench.return_pct, tokens_in=use.tokens_in,
                tokens_out=use.tokens_out, cost_usd=use.cost_usd, end_equity=end,
                model_calls=use.calls, model_errors=use.errors, cycles=done.cycles,
                failures=done.failures, status=records.status(done), **metrics, **trades,
            )
        )  # fmt: skip
    return SampleBoard(
        sample.sample, sample.start, sample.end, sample.ticks, tuple(rank(scores)), bench,
        records.Recorded.of(bench_curve),
    )  # fmt: skip


def build_leaderboard(store: Store, run_id: str) -> Leaderboard:
    record = records.load_battle(store, run_id)
    boards = tuple(score_sample(store, record, s) for s in record.samples)
    aggregates = ()
    if len(boards) > 1:
        aggregates = tuple(aggregate([b.scores for b in boards], record.config.seed))
    board = Leaderboard(run_id, record, boards, aggregates)
    return replace(board, ablation=memory_ablation(board))


def differences(a: Leaderboard, b: Leaderboard) -> list[str]:
    """Metrics that differ between two leaderboards (exact comparison, no tolerance)."""
    left, right = a.metrics(), b.metrics()
    out = []
    for key in sorted(set(left) | set(right)):
        x, y = left.get(key), right.get(key)
        if x == y:
            continue
        if x is None or y is None:
            out.append(f"{key}: only in one leaderboard")
            continue
        out.extend(
            f"{key}.{field}: {_plain(x.get(field))!r} != {_plain(y.get(field))!r}"
            for field in sorted(set(x) | set(y))
            if x.get(field) != y.get(field)
        )
    return out


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (its repr is ``np.float64(...)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _finite(value: Any) -> Any:
    """JSON-safe: infinities and NaN become None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
