"""Parameter sweeps: many parameter sets of one strategy on one series in one call.

Signals are computed per parameter set (vectorized, no Python per bar) and all sets run
through the compiled vector loop in parallel; each row equals `run_vector` for its set.
The SMA crossover has a faster path: every moving average is computed once and each pair's
crossover target is built inside the parallel loop.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from tradepit import indicators
from tradepit.backtest import _kernels as k
from tradepit.backtest.event import BacktestConfig
from tradepit.backtest.vector import EndPrice, Ohlc, Sizing, kernel_settings, signal_arrays
from tradepit.domain.errors import OrderRejectedError
from tradepit.domain.models import Asset
from tradepit.market.timeframe import annualisation_factor
from tradepit.strategies import Strategy, StrategyParams, build_params
from tradepit.strategies.trend import SmaCross

__all__ = ["METRIC_COLUMNS", "expand_grid", "sweep"]

log = logging.getLogger(__name__)

METRIC_COLUMNS = k.STAT_NAMES
_INT_COLUMNS = ("trades", "max_drawdown_duration_bars")


def expand_grid(strategy: Strategy, grid: Mapping[str, Iterable[Any]]) -> list[StrategyParams]:
    """Every combination of the grid's values that the strategy's params accept (the
    others, e.g. fast >= slow, are skipped and counted in the log)."""
    names = list(grid)
    accepted, skipped = [], 0
    for values in itertools.product(*(list(grid[name]) for name in names)):
        try:
            accepted.append(strategy.Params(**dict(zip(names, values, strict=True))))
        except ValidationError:
            skipped += 1
    if skipped:
        log.info("sweep grid of %s: %d combinations rejected by its params", strategy.name, skipped)
    return accepted


def sweep(
    strategy: Strategy,
    bars: pd.DataFrame,
    param_sets: Sequence[Mapping[str, Any] | StrategyParams] | None = None,
    grid: Mapping[str, Iterable[Any]] | None = None,
    config: BacktestConfig | None = None,
    *,
    symbol: str = "",
    asset: Asset | None = None,
    sizing: Sizing = "close",
    exit_at_end: EndPrice = "close",
    chunk: int = 256,
) -> pd.DataFrame:
    """One row per parameter set: its parameters, then METRIC_COLUMNS.

    Give either `param_sets` (each validated; a bad one raises StrategyError) or `grid`
    (name -> values; invalid combinations are skipped)."""
    if (param_sets is None) == (grid is None):
        raise ValueError("give exactly one of param_sets or grid")
    if grid is not None:
        sets = expand_grid(strategy, grid)
    else:
        sets = [
            p if isinstance(p, StrategyParams) else build_params(strategy, dict(p))
            for p in param_sets
        ]
    config = config or BacktestConfig()
    asset = asset or Asset(symbol=symbol or "SWEEP")
    series = Ohlc.of(bars)
    settings = kernel_settings(config, sizing, exit_at_end)
    ppy = annualisation_factor(asset.calendar, config.timeframe)
    if type(strategy) is SmaCross and sets:
        values = _sma_cross(series, sets, asset, settings, ppy)
    else:
        values = _generic(strategy, bars, series, sets, asset, settings, ppy, max(1, chunk))
    frame = pd.DataFrame([p.model_dump() for p in sets])
    stats = pd.DataFrame(values, columns=list(METRIC_COLUMNS), index=frame.index)
    for column in _INT_COLUMNS:
        stats[column] = stats[column].astype(np.int64)
    return pd.concat([frame, stats], axis=1)


def _run(series: Ohlc, targets, stops, tps, settings, ppy) -> np.ndarray:
    s = series
    return k.run_many(s.open, s.high, s.low, s.close, targets, stops, tps, *settings, ppy)


def _generic(strategy, bars, series, sets, asset, settings, ppy, chunk) -> np.ndarray:
    n = len(series.close)
    out = np.empty((len(sets), k.N_STATS))
    for start in range(0, len(sets), chunk):
        block = sets[start : start + chunk]
        targets, stops, tps = (np.empty((len(block), n)) for _ in range(3))
        for row, params in enumerate(block):
            targets[row], stops[row], tps[row] = signal_arrays(
                strategy.signals(bars, params), asset, n
            )
        out[start : start + len(block)] = _run(series, targets, stops, tps, settings, ppy)
    return out


def _sma_cross(series, sets, asset, settings, ppy) -> np.ndarray:
    windows = sorted({w for p in sets for w in (p.fast, p.slow)})
    row_of = {w: i for i, w in enumerate(windows)}
    averages = np.empty((len(windows), len(series.close)))
    for w, row in row_of.items():
        averages[row] = indicators.sma(series.close, w)
    fast = np.array([row_of[p.fast] for p in sets], dtype=np.int64)
    slow = np.array([row_of[p.slow] for p in sets], dtype=np.int64)
    shorts = np.array([p.allow_short for p in sets], dtype=np.bool_)
    if shorts.any() and not asset.shortable:
        raise OrderRejectedError("not_shortable", f"{asset.symbol} cannot be sold short")
    out = np.empty((len(sets), k.N_STATS))
    s = series
    for allow_short in (True, False):
        rows = np.flatnonzero(shorts == allow_short)
        if len(rows):
            out[rows] = k.run_cross_pairs(
                s.open, s.high, s.low, s.close, averages, fast[rows], slow[rows],
                allow_short, *settings, ppy,
            )  # fmt: skip
    return out
