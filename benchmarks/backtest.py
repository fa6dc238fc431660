"""Backtest speed: our vector and event engines vs backtesting.py and vectorbt.

Run (vectorbt is in the `bench` dependency group, backtesting.py in `dev`)::

    uv run --frozen --group bench --group dev python benchmarks/backtest.py

Single run: SMA crossover 10/30, long/short reversal on each cross, fills at the next bar's
open, no costs, on backtesting.py's GOOG daily data, on our bundled SPX, and (vector engines
only) on a seeded synthetic random walk of ``--large`` bars. Each engine's time covers a
whole backtest as a user calls it: indicators, signals, simulation, and the metrics it
reports (vectorbt: total return, Sharpe and max drawdown). Our vector engine runs with
``sizing="fill", exit_at_end="open"`` (backtesting.py's sizing and finalisation), so on
GOOG both give the same trades. vectorbt: `MA.run` x2, crossovers shifted one bar,
``Portfolio.from_signals(price=open, direction="both")`` (all-in, fractional).

Sweep: all 4851 pairs fast < slow of SMA windows 2..100 on GOOG, long-only, 0.1 % fees.
vectorbt: its canonical ``MA.run_combs(r=2)`` + ``Portfolio.from_signals`` +
``total_return()``; ours: one ``sweep(grid=...)`` call (grid expansion and parameter
validation included), every metric.

Times are the best of ``--repeat`` runs after one warm-up call whose time is shown apart
("first": numba compilation or cache load, lazy imports); see `measure` for the order.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's progress bar, not timed

import numpy as np
import pandas as pd

from tradepit.backtest.event import BacktestConfig, run_backtest
from tradepit.backtest.sweep import sweep
from tradepit.backtest.vector import run_vector
from tradepit.market.bundled import load_bundled
from tradepit.strategies import get_strategy

SMA = get_strategy("sma_cross")
PARAMS = SMA.Params(fast=10, slow=30)
WINDOWS = range(2, 101)


@dataclass
class Case:
    """One engine on one data set: a callable, and how to read trades and return from it."""

    engine: str
    run: Callable[[], object]
    summary: Callable[[object], tuple[int, float]]
    repeat: int | None = None
    first: float = 0.0
    times: list[float] = field(default_factory=list)
    result: object = None

    @property
    def best(self) -> float:
        return min(self.times)


def ours_vector(bars: pd.DataFrame, symbol: str) -> Case:
    def run():
        return run_vector(SMA, bars, symbol, PARAMS, sizing="fill", exit_at_end="open")

    return Case("tradepit vector", run, lambda r: (r.metrics.trades, r.metrics.return_pct))


def ours_event(bars: pd.DataFrame, symbol: str, repeat: int) -> Case:
    def run():
        return run_backtest(SMA, bars, symbol, PARAMS, BacktestConfig())

    summary = lambda r: (r.metrics.trades, r.metrics.return_pct)  # noqa: E731
    return Case("tradepit event", run, summary, repeat=repeat)


def peer_frame(bars: pd.DataFrame) -> pd.DataFrame:
    """Capitalised columns and a naive index, as both peers expect."""
    frame = bars[["open", "high", "low", "close", "volume"]].rename(columns=str.capitalize)
    frame.index = frame.index.tz_localize(None)
    return frame


def backtesting_py(bars: pd.DataFrame, repeat: int) -> Case:
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import SMA as bt_sma

    class SmaCross(Strategy):  # backtesting.py's canonical example
        n1, n2 = 10, 30

        def init(self):
            self.sma1 = self.I(bt_sma, self.data.Close, self.n1)
            self.sma2 = self.I(bt_sma, self.data.Close, self.n2)

        def next(self):
            if crossover(self.sma1, self.sma2):
                self.position.close()
                self.buy()
            elif crossover(self.sma2, self.sma1):
                self.position.close()
                self.sell()

    bt = Backtest(peer_frame(bars), SmaCross, cash=10_000, commission=0, finalize_trades=True)
    summary = lambda s: (int(s["# Trades"]), float(s["Return [%]"]))  # noqa: E731
    return Case("backtesting.py", bt.run, summary, repeat=repeat)


def vectorbt_single(bars: pd.DataFrame, freq: str) -> Case:
    import vectorbt as vbt

    frame = peer_frame(bars)
    close, open_ = frame["Close"], frame["Open"]

    def run():
        fast, slow = vbt.MA.run(close, 10), vbt.MA.run(close, 30)
        entries = fast.ma_crossed_above(slow).shift(1, fill_value=False)
        exits = fast.ma_crossed_below(slow).shift(1, fill_value=False)
        pf = vbt.Portfolio.from_signals(
            close, entries, exits, price=open_, direction="both", init_cash=10_000, freq=freq
        )
        return pf, pf.total_return(), pf.sharpe_ratio(), pf.max_drawdown()

    return Case("vectorbt", run, lambda r: (int(r[0].trades.count()), 100 * float(r[1])))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure(cases: list[Case], repeat: int, rounds: int = 3) -> None:
    """One warm-up call each, then `rounds` rounds in which each engine runs its share of
    `repeat` calls back to back (warm, as timeit does); the rounds spread the engines'
    runs over time so that load from other processes hits all of them alike."""
    for case in cases:
        case.first, case.result = timed(case.run)
    for _ in range(rounds):
        for case in cases:
            runs = -(-(case.repeat or repeat) // rounds)
            for _ in range(runs):
                seconds, case.result = timed(case.run)
                case.times.append(seconds)


def synthetic(n: int, seed: int = 7) -> pd.DataFrame:
    """A seeded random walk (a speed measurement only; never used as market data)."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))
    open_ = close * np.exp(rng.normal(0.0, 0.0002, n))
    high, low = np.maximum(open_, close) * 1.001, np.minimum(open_, close) * 0.999
    index = pd.date_range("1990-01-01", periods=n, freq="min", tz="UTC")
    data = {"open": open_, "high": high, "low": low, "close": close, "volume": 1e6}
    return pd.DataFrame(data, index=index)


def goog() -> pd.DataFrame:
    from backtesting.test import GOOG

    frame = GOOG.rename(columns=str.lower)
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
    return frame


def single_runs(args) -> list[tuple[str, int, list[Case]]]:
    sets = [("GOOG", goog(), "1D"), ("SPX", load_bundled("SPX"), "1D")]
    if args.large:
        sets.append((f"synthetic {args.large:,}", synthetic(args.large), "1min"))
    out = []
    for name, bars, freq in sets:
        cases = [ours_vector(bars, name), vectorbt_single(bars, freq)]
        if len(bars) < 100_000:
            cases += [
                ours_event(bars, name, args.slow_repeat),
                backtesting_py(bars, args.slow_repeat),
            ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            measure(cases, args.repeat)
        out.append((name, len(bars), cases))
    return out


def print_single(results) -> None:
    header = (
        f"{'data':<18}{'bars':>10}  {'engine':<17}{'first ms':>10}{'best ms':>10}"
        f"{'bars/s':>13}{'x bt.py':>9}{'x vbt':>8}{'trades':>8}{'return %':>10}"
    )
    print("Single run: SMA cross 10/30, long/short, next-open fills, no costs")
    print(header)
    print("-" * len(header))
    for name, n, cases in results:
        by = {c.engine: c for c in cases}
        for c in cases:
            trades, ret = c.summary(c.result)
            ratios = [
                f"{by[peer].best / c.best:.1f}" if peer in by else "-"
                for peer in ("backtesting.py", "vectorbt")
            ]
            print(
                f"{name:<18}{n:>10,}  {c.engine:<17}{1e3 * c.first:>10.1f}{1e3 * c.best:>10.2f}"
                f"{n / c.best:>13,.0f}{ratios[0]:>9}{ratios[1]:>8}{trades:>8}{ret:>10.2f}"
            )
    print()


def sweep_runs(repeat: int) -> list[Case]:
    import vectorbt as vbt

    bars = goog()
    close = peer_frame(bars)["Close"]
    grid = {"fast": WINDOWS, "slow": WINDOWS, "allow_short": [False]}
    config = BacktestConfig(commission_pct=0.001, fractional=True)

    def ours():
        return sweep(SMA, bars, grid=grid, config=config)

    def peer():
        fast, slow = vbt.MA.run_combs(
            close, window=np.arange(2, 101), r=2, short_names=["fast", "slow"]
        )
        entries, exits = fast.ma_crossed_above(slow), fast.ma_crossed_below(slow)
        pf = vbt.Portfolio.from_signals(close, entries, exits, size=np.inf, fees=0.001, freq="1D")
        return pf.total_return()

    cases = [
        Case("tradepit sweep", ours, lambda f: (len(f), float(f["return_pct"].max()))),
        Case("vectorbt", peer, lambda s: (len(s), 100 * float(s.max()))),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        measure(cases, repeat)
    return cases


def print_sweep(cases: list[Case]) -> None:
    print("Sweep: SMA windows 2..100, every pair fast < slow, on GOOG (long-only, 0.1% fees)")
    header = (
        f"{'engine':<17}{'pairs':>7}{'first s':>10}{'best s':>9}{'pairs/s':>10}"
        f"{'best return %':>15}"
    )
    print(header)
    print("-" * len(header))
    for c in cases:
        pairs, best_return = c.summary(c.result)
        print(
            f"{c.engine:<17}{pairs:>7,}{c.first:>10.2f}{c.best:>9.3f}{pairs / c.best:>10,.0f}"
            f"{best_return:>15.2f}"
        )
    print()


def print_targets(single, sweep_cases: list[Case]) -> None:
    print("Targets")
    for name, _, cases in single:
        by = {c.engine: c for c in cases}
        ours = by["tradepit vector"].best
        vbt_x = by["vectorbt"].best / ours
        line = f"  {name:<18} vector vs vectorbt {vbt_x:6.1f}x (target >= 2x: {_ok(vbt_x >= 2)})"
        if "backtesting.py" in by:
            bt_x = by["backtesting.py"].best / ours
            line += f"; vs backtesting.py {bt_x:6.1f}x (target >= 50x: {_ok(bt_x >= 50)})"
        print(line)
    ours = sweep_cases[0].best
    print(f"  sweep of 4,851 pairs: {ours:.3f} s (target <= 1.3 s: {_ok(ours <= 1.3)})")


def _ok(flag: bool) -> str:
    return "met" if flag else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=25, help="timed runs of fast engines")
    parser.add_argument("--slow-repeat", type=int, default=6, help="timed runs of slow ones")
    parser.add_argument("--large", type=int, default=1_000_000, help="synthetic bars (0: skip)")
    args = parser.parse_args()
    single = single_runs(args)
    print_single(single)
    sweep_cases = sweep_runs(max(3, args.repeat // 5))
    print_sweep(sweep_cases)
    print_targets(single, sweep_cases)


if __name__ == "__main__":
    main()
