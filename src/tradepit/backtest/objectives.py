"""Tuning objectives: one number per backtest, larger is better.

- ``sharpe``: the annualised Sharpe ratio of the equity curve.
- ``pnl``: the total return in percent.
- ``composite``: ``sharpe + return_pct/100 + win_rate - mdd_weight * |max_drawdown_pct|/100``.
  Every term but Sharpe is a fraction (1.0 = 100 %), so one unit of Sharpe weighs as much as
  doubling the money or winning every trade; ``mdd_weight`` (default 0.5) sets how much a
  drawdown costs: with 0.5, a 40 % drawdown takes 0.2 off the score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from tradepit.backtest.metrics import Metrics

ObjectiveName = Literal["sharpe", "pnl", "composite"]
OBJECTIVES: tuple[str, ...] = get_args(ObjectiveName)


@dataclass(frozen=True)
class ObjectiveSpec:
    """What a trial is scored on and when it does not count."""

    name: ObjectiveName = "sharpe"
    mdd_weight: float = 0.5
    min_trades: int = 5
    """Trials with fewer round trips are pruned: never the best, whatever their score."""

    def __post_init__(self) -> None:
        if self.name not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {self.name!r}")
        if self.mdd_weight < 0 or not math.isfinite(self.mdd_weight):
            raise ValueError("mdd_weight must be a finite number >= 0")
        if self.min_trades < 0:
            raise ValueError("min_trades must be >= 0")

    def score(self, metrics: Metrics) -> float:
        return objective_value(metrics, self.name, self.mdd_weight)


def composite_score(metrics: Metrics, mdd_weight: float = 0.5) -> float:
    """See the module docstring for the formula."""
    return (
        metrics.sharpe
        + metrics.return_pct / 100.0
        + metrics.win_rate
        - mdd_weight * abs(metrics.max_drawdown_pct) / 100.0
    )


def objective_value(metrics: Metrics, name: str, mdd_weight: float = 0.5) -> float:
    """The score of `metrics` under objective `name`."""
    if name == "sharpe":
        return float(metrics.sharpe)
    if name == "pnl":
        return float(metrics.return_pct)
    if name == "composite":
        return float(composite_score(metrics, mdd_weight))
    raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {name!r}")


SUMMARY_FIELDS = (
    "return_pct",
    "sharpe",
    "sortino",
    "max_drawdown_pct",
    "win_rate",
    "profit_factor",
    "trades",
    "exposure_pct",
    "end_equity",
)


def metrics_summary(metrics: Metrics) -> dict[str, float | int | None]:
    """The metrics kept with each trial (JSON-safe: non-finite values become None)."""
    out: dict[str, float | int | None] = {}
    for name in SUMMARY_FIELDS:
        value = getattr(metrics, name)
        out[name] = value if isinstance(value, int) or math.isfinite(value) else None
    return out
