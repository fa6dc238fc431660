"""Scoring: metrics per competitor and sample, after fees and after inference cost, a
buy-and-hold benchmark, and (over several samples) means with bootstrap confidence
intervals and a paired test against the benchmark.

Per sample: total return, Sharpe and Sortino (per-tick returns annualised by ticks per
year, risk-free 0, as in `tradepit.backtest.metrics`), max drawdown, win rate and profit
factor of closed round trips, trades, fees, tokens in/out, inference cost in dollars and the
return net of it: ``(end equity - cost - capital) / capital``.

Over samples: the mean of each metric with a 95% percentile bootstrap interval (2,000
resamples of the samples, numpy's seeded generator), and the paired difference of net
return minus the benchmark's return in the same sample: a competitor "beats" buy-and-hold
when the whole interval of that difference is above 0 ("trails" when below 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from tradepit.backtest.metrics import drawdown, sharpe_ratio, sortino_ratio
from tradepit.backtest.trades import trades_from_fills
from tradepit.domain.models import Fill

RESAMPLES = 2000
CONFIDENCE = 0.95
AGGREGATED = (
    "return_pct", "net_return_pct", "excess_pct", "sharpe", "sortino", "max_drawdown_pct",
    "win_rate_pct", "profit_factor", "trades", "fees", "tokens_in", "tokens_out", "cost_usd",
)  # fmt: skip


@dataclass(frozen=True)
class Score:
    """One competitor (or the benchmark) in one sample."""

    index: int
    name: str
    model: str
    return_pct: float
    net_return_pct: float
    excess_pct: float
    """Net return minus the benchmark's return."""
    sharpe: float
    sortino: float
    max_drawdown_pct: float
    win_rate_pct: float | None
    profit_factor: float | None
    """None when there is no losing trade (infinite) or no trade."""
    trades: int
    fills: int
    fees: float
    tokens_in: int
    tokens_out: int
    cost_usd: float
    end_equity: float
    model_calls: int
    model_errors: int
    cycles: int
    failures: int
    status: str

    def to_dict(self) -> dict:
        return asdict(self)


def curve_metrics(equity: pd.Series, periods_per_year: float) -> dict[str, float]:
    values = equity.to_numpy(dtype=np.float64)
    if len(values) == 0:
        return {"return_pct": 0.0, "sharpe": 0.0, "sortino": 0.0, "max_drawdown_pct": 0.0}
    returns = np.diff(values) / values[:-1] if len(values) > 1 else np.zeros(0)
    return {
        "return_pct": float(100.0 * (values[-1] / values[0] - 1.0)),  # not np.float64
        "sharpe": sharpe_ratio(returns, periods_per_year),
        "sortino": sortino_ratio(returns, periods_per_year),
        "max_drawdown_pct": 100.0 * float(drawdown(values).min()),
    }


def trade_metrics(fills: Sequence[Fill]) -> dict[str, float | int | None]:
    trades, _ = trades_from_fills(fills)
    pnls = np.array([t.pnl for t in trades], dtype=np.float64)
    wins, losses = pnls[pnls > 0], pnls[pnls <= 0]
    loss = float(-losses.sum())
    factor = float(wins.sum() / loss) if loss > 0 else None
    return {
        "trades": len(trades),
        "fills": len(fills),
        "win_rate_pct": 100.0 * len(wins) / len(pnls) if len(pnls) else None,
        "profit_factor": factor,
        "fees": float(sum(float(f.commission) for f in fills)),
    }


def benchmark_score(equity: pd.Series, periods_per_year: float) -> Score:
    m = curve_metrics(equity, periods_per_year)
    end = float(equity.iloc[-1]) if len(equity) else 0.0
    return Score(
        index=-1, name="buy & hold", model="benchmark (equal weight)",
        net_return_pct=m["return_pct"], excess_pct=0.0, win_rate_pct=None, profit_factor=None,
        trades=0, fills=0, fees=0.0,
        tokens_in=0, tokens_out=0, cost_usd=0.0, end_equity=end, model_calls=0,
        model_errors=0, cycles=len(equity), failures=0, status="benchmark", **m,
    )  # fmt: skip


UNFINISHED = frozenset({"over budget", "failed"})
"""Statuses of competitors that stopped deciding (budget spent) or never decided: they rank
after every competitor that traded to the end, or a model that fails every call would win
any falling market by losing nothing."""


def rank(scores: Sequence[Score]) -> list[Score]:
    """Best first: competitors that decided to the end before the `UNFINISHED`; then net
    return, Sharpe, the competitor's position."""
    return sorted(
        scores, key=lambda s: (s.status in UNFINISHED, -s.net_return_pct, -s.sharpe, s.index)
    )


@dataclass(frozen=True)
class Estimate:
    mean: float | None
    low: float | None
    high: float | None
    n: int

    def to_dict(self) -> dict:
        return asdict(self)


def bootstrap(values: Sequence[float | None], seed: Sequence[int]) -> Estimate:
    """Mean and 95% percentile interval of the mean (finite values only)."""
    x = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    if len(x) == 0:
        return Estimate(None, None, None, 0)
    if len(x) == 1:
        return Estimate(float(x[0]), None, None, 1)
    rng = np.random.default_rng(list(seed))
    means = x[rng.integers(0, len(x), size=(RESAMPLES, len(x)))].mean(axis=1)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return Estimate(float(x.mean()), float(low), float(high), len(x))


@dataclass(frozen=True)
class Aggregate:
    """One competitor over all samples."""

    index: int
    name: str
    model: str
    samples: int
    estimates: dict[str, Estimate]
    versus_benchmark: str
    """beats / trails / no significant difference / n/a (one sample)."""

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "name": self.name,
            "model": self.model,
            "samples": self.samples,
            "versus_benchmark": self.versus_benchmark,
            "estimates": {k: v.to_dict() for k, v in self.estimates.items()},
        }


def verdict(excess: Estimate) -> str:
    if excess.low is None or excess.high is None:
        return "n/a"
    if excess.low > 0:
        return "beats"
    if excess.high < 0:
        return "trails"
    return "no significant difference"


def aggregate(samples: Sequence[Sequence[Score]], seed: int) -> list[Aggregate]:
    """Per competitor over the samples (each a list of that sample's scores), best first by
    mean net return; a competitor `UNFINISHED` in every sample ranks after the others."""
    by_index: dict[int, list[Score]] = {}
    for scores in samples:
        for s in scores:
            by_index.setdefault(s.index, []).append(s)
    out, unfinished = [], set()
    for index, scores in sorted(by_index.items()):
        if all(s.status in UNFINISHED for s in scores):
            unfinished.add(index)
        estimates = {
            metric: bootstrap([getattr(s, metric) for s in scores], (seed, index, k))
            for k, metric in enumerate(AGGREGATED)
        }
        first = scores[0]
        out.append(
            Aggregate(
                index, first.name, first.model, len(scores), estimates,
                verdict(estimates["excess_pct"]),
            )
        )  # fmt: skip

    def mean(a: Aggregate) -> float:
        value = a.estimates["net_return_pct"].mean
        return -math.inf if value is None else value  # a mean of 0.0 is a mean

    return sorted(out, key=lambda a: (a.index in unfinished, -mean(a), a.index))
