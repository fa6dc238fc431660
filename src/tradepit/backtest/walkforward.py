"""Walk-forward analysis: tune on a train window, score on the window that follows.

Windows (in bars): the first train window is ``[0, train)``; its test window is the next
``test`` bars. Rolling windows then move both forward by ``step`` (default ``test``), so
test windows tile the data without overlap; anchored windows keep the train start at 0 and
grow. The step must be at least the test length (test windows never overlap, so their
equity curves chain). Each train window gets its own in-memory Optuna study (seed + window number).

Out-of-sample scoring: signals are computed on the bars from the train start to the test
end (strategies are causal, so a test bar's signal uses only bars up to it; indicators are
warm at the test start), and only the test bars are traded, starting flat. In-sample
metrics are the tuned parameters' backtest on the train window alone.

Overfitting rule (Sharpe-based, whatever the objective): a window's efficiency is
``OOS Sharpe / IS Sharpe`` when IS Sharpe > 0. A window is flagged when IS Sharpe > 0 and
its efficiency is below ``overfit_ratio`` (default 0.5), which includes any window that
loses out of sample after a positive in-sample Sharpe. The run's efficiency is
``mean OOS Sharpe / mean IS Sharpe``; the verdict is ``overfit`` when that is below
``overfit_ratio`` or more than half of the windows are flagged, ``no_edge`` when the mean IS
Sharpe is <= 0 (tuning found nothing to lose), else ``ok``.

Each test window starts flat with the previous window's end equity and closes its position
at its last close, so the chained out-of-sample curve pays one extra round trip per window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from tradepit.backtest.event import BacktestConfig, BacktestResult
from tradepit.backtest.metrics import Metrics, compute_metrics
from tradepit.backtest.objectives import ObjectiveSpec, metrics_summary
from tradepit.backtest.optimize import optimize
from tradepit.backtest.vector import backtest_signals, run_vector
from tradepit.domain.models import Asset
from tradepit.market.timeframe import annualisation_factor
from tradepit.strategies import Strategy, build_params

__all__ = [
    "WalkForwardResult",
    "Window",
    "WindowResult",
    "flag_window",
    "judge",
    "make_windows",
    "walk_forward",
]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Window:
    """Bar positions: train is ``[train_start, test_start)``, test ``[test_start, test_end)``."""

    number: int
    train_start: int
    test_start: int
    test_end: int


def make_windows(
    n: int, train: int, test: int, step: int | None = None, anchored: bool = False
) -> list[Window]:
    """The train/test windows over `n` bars (see the module docstring)."""
    step = step or test
    if train < 2 or test < 2:
        raise ValueError("train and test windows need >= 2 bars each")
    if step < test:
        raise ValueError(f"step ({step}) must be >= the test window ({test}): tests cannot overlap")
    windows: list[Window] = []
    start = 0
    while start + train + test <= n:
        train_start = 0 if anchored else start
        windows.append(Window(len(windows), train_start, start + train, start + train + test))
        start += step
    if not windows:
        raise ValueError(f"{n} bars are too few for a {train}-bar train and {test}-bar test window")
    return windows


@dataclass(frozen=True)
class WindowResult:
    window: Window
    train: tuple[datetime, datetime]
    test: tuple[datetime, datetime]
    params: dict[str, Any]
    tuned: bool
    """False when no trial met min_trades: the default parameters were scored instead."""
    trials_counted: int
    """Complete trials of the window's study (the others were pruned)."""
    is_score: float
    oos_score: float
    is_metrics: dict[str, Any]
    oos_metrics: dict[str, Any]
    efficiency: float | None
    overfit: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.number,
            "train_start": self.train[0].isoformat(),
            "train_end": self.train[1].isoformat(),
            "test_start": self.test[0].isoformat(),
            "test_end": self.test[1].isoformat(),
            "params": self.params,
            "tuned": self.tuned,
            "trials_counted": self.trials_counted,
            "is_score": self.is_score,
            "oos_score": self.oos_score,
            "is": self.is_metrics,
            "oos": self.oos_metrics,
            "efficiency": self.efficiency,
            "overfit": self.overfit,
        }


@dataclass
class WalkForwardResult:
    strategy: str
    symbol: str
    objective: ObjectiveSpec
    anchored: bool
    overfit_ratio: float
    windows: list[WindowResult]
    oos_equity: pd.Series = field(repr=False)
    """The test windows chained: each starts with the previous one's end equity."""
    oos_metrics: dict[str, Any]
    mean_is_sharpe: float
    mean_oos_sharpe: float
    efficiency: float | None
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "symbol": self.symbol,
            "objective": self.objective.name,
            "anchored": self.anchored,
            "overfit_ratio": self.overfit_ratio,
            "mean_is_sharpe": self.mean_is_sharpe,
            "mean_oos_sharpe": self.mean_oos_sharpe,
            "efficiency": self.efficiency,
            "overfit_windows": sum(w.overfit for w in self.windows),
            "verdict": self.verdict,
            "oos": self.oos_metrics,
            "windows": [w.to_dict() for w in self.windows],
        }


def _ratio(oos: float, is_: float) -> float | None:
    return oos / is_ if is_ > 0 else None


def flag_window(is_sharpe: float, oos_sharpe: float, ratio: float) -> tuple[float | None, bool]:
    """(efficiency, overfit) of one window under the module's rule."""
    efficiency = _ratio(oos_sharpe, is_sharpe)
    return efficiency, is_sharpe > 0 and (efficiency is None or efficiency < ratio)


def judge(
    mean_is: float, mean_oos: float, flags: list[bool], ratio: float
) -> tuple[float | None, str]:
    """(efficiency, verdict) of a run under the module's rule."""
    efficiency = _ratio(mean_oos, mean_is)
    if mean_is <= 0:
        return efficiency, "no_edge"
    if (efficiency is not None and efficiency < ratio) or sum(flags) * 2 > len(flags):
        return efficiency, "overfit"
    return efficiency, "ok"


def _score_window(strategy, bars, symbol, win, params, config, asset, ratio, cash):
    """IS: the train window alone, as tuned. OOS: the test window from `cash`, flat at
    both ends, on signals warmed up over the train window."""
    train_bars = bars.iloc[win.train_start : win.test_start]
    test_bars = bars.iloc[win.test_start : win.test_end]
    is_result = run_vector(strategy, train_bars, symbol, params, config, asset)
    config = replace(config, cash=cash)
    signals = strategy.signals(bars.iloc[win.train_start : win.test_end], params)
    oos_result = backtest_signals(
        test_bars, signals.iloc[win.test_start - win.train_start :], symbol, config, asset,
        strategy=strategy.name, params=params.model_dump(),
    )  # fmt: skip
    is_m, oos_m = is_result.metrics, oos_result.metrics
    efficiency, overfit = flag_window(is_m.sharpe, oos_m.sharpe, ratio)
    return is_m, oos_result, efficiency, overfit


def walk_forward(
    strategy: Strategy,
    bars: pd.DataFrame,
    symbol: str,
    *,
    train: int,
    test: int,
    step: int | None = None,
    anchored: bool = False,
    trials: int = 20,
    spec: ObjectiveSpec | None = None,
    seed: int = 0,
    fixed: Mapping[str, Any] | None = None,
    config: BacktestConfig | None = None,
    asset: Asset | None = None,
    overfit_ratio: float = 0.5,
    progress: Progress | None = None,
) -> WalkForwardResult:
    """Tune on each train window, score the winner on its test window, and judge."""
    spec = spec or ObjectiveSpec()
    config = config or BacktestConfig()
    asset = asset or Asset(symbol=symbol)
    fixed = dict(fixed or {})
    windows = make_windows(len(bars), train, test, step, anchored)
    index = bars.index
    results: list[WindowResult] = []
    oos_runs: list[BacktestResult] = []
    equity = config.cash
    for win in windows:
        tuned = optimize(
            strategy, bars.iloc[win.train_start : win.test_start], symbol,
            trials=trials, spec=spec, seed=seed + win.number, fixed=fixed,
            config=config, asset=asset, study_name=f"wf-{win.number}",
        )  # fmt: skip
        chosen = tuned.best_params if tuned.best_params is not None else fixed
        params = build_params(strategy, chosen)
        is_m, oos, efficiency, overfit = _score_window(
            strategy, bars, symbol, win, params, config, asset, overfit_ratio, equity
        )
        oos_runs.append(oos)
        equity = float(oos.equity.iloc[-1])
        results.append(
            WindowResult(
                window=win,
                train=(index[win.train_start], index[win.test_start - 1]),
                test=(index[win.test_start], index[win.test_end - 1]),
                params=params.model_dump(),
                tuned=tuned.best_params is not None,
                trials_counted=tuned.counts()["complete"],
                is_score=spec.score(is_m),
                oos_score=spec.score(oos.metrics),
                is_metrics=metrics_summary(is_m),
                oos_metrics=metrics_summary(oos.metrics),
                efficiency=efficiency,
                overfit=overfit,
            )
        )
        log.info(
            "walk-forward window %d: IS sharpe %.3f, OOS sharpe %.3f",
            win.number, is_m.sharpe, oos.metrics.sharpe,
        )  # fmt: skip
        if progress:
            progress(win.number + 1, len(windows))
    oos = _chain(oos_runs, bars, asset, config)
    return _summarise(strategy, symbol, spec, anchored, overfit_ratio, results, oos)


def _chain(runs: list[BacktestResult], bars, asset, config) -> tuple[pd.Series, Metrics]:
    """The test windows as one out-of-sample run: equity curves end to end, all trades."""
    equity = pd.concat([r.equity for r in runs])
    trades = [t for r in runs for t in r.trades]
    bars_per_run = np.array([len(r.equity) for r in runs], dtype=np.float64)
    exposure = np.array([r.metrics.exposure_pct for r in runs]) @ bars_per_run / bars_per_run.sum()
    metrics = compute_metrics(
        equity,
        trades,
        annualisation_factor(asset.calendar, config.timeframe),
        fees=sum(r.metrics.fees for r in runs),
        benchmark_close=bars["close"].loc[equity.index[0] : equity.index[-1]],
    )
    return equity, replace(metrics, exposure_pct=float(exposure))


def _summarise(strategy, symbol, spec, anchored, ratio, results, oos):
    stitched, oos_metrics = oos
    is_sharpes = [w.is_metrics["sharpe"] or 0.0 for w in results]
    oos_sharpes = [w.oos_metrics["sharpe"] or 0.0 for w in results]
    mean_is, mean_oos = float(np.mean(is_sharpes)), float(np.mean(oos_sharpes))
    efficiency, verdict = judge(mean_is, mean_oos, [w.overfit for w in results], ratio)
    return WalkForwardResult(
        strategy.name, symbol, spec, anchored, ratio, results, stitched,
        metrics_summary(oos_metrics),
        mean_is, mean_oos, efficiency, verdict,
    )  # fmt: skip
