"""Battle throughput: 6 offline competitors x 252 daily ticks x 5 symbols.

Run: ``.venv/bin/python benchmarks/battle.py [--ticks-days 365] [--modes auto,sequential]``

Symbols: SPX, IXIC and MSFT (bundled, real) plus SYN-1 and SYN-2 (seeded synthetic series,
labelled, given as users' files), the year to 2017-11-10. Every competitor decides for all
five symbols in one cycle per tick, through graph + snapshot + tools + risk gate + paper
broker + store (SQLite file) + checkpoints, exactly as a battle runs.

Figures: wall time of the battle (imports excluded), CPU time (this process plus worker
processes), and per decision (one symbol of one competitor on one tick): wall, and in the
sequential mode the agent overhead without the model's own time (`complete`, measured and
subtracted). On a shared machine wall time depends on the load; CPU time much less so.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from tradepit.agent.backends import make_backend
from tradepit.battle import BattleConfig, BattleRunner
from tradepit.bootstrap import configure_process
from tradepit.config import Settings
from tradepit.market import synthetic_ohlcv
from tradepit.storage import Store

MODELS = (
    "rules:supertrend", "rules:macd_rsi", "rules:ema_rsi", "rules:sma_cross",
    "rules:buy_and_hold", "rules:macd_cross",
)  # fmt: skip
END = datetime(2017, 11, 11, tzinfo=UTC)


class TimedBackend:
    """Adds up the time spent inside the wrapped backend's `complete`."""

    spent = 0.0

    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name

    def complete(self, messages: list, tools: list) -> Any:
        started = time.perf_counter()
        try:
            return self.inner.complete(messages, tools)
        finally:
            TimedBackend.spent += time.perf_counter() - started


def synthetic_files(folder: Path) -> dict[str, str]:
    out = {}
    for i in (1, 2):
        frame = synthetic_ohlcv(i, bars=3400, start="2005-01-03", seed=100 + i)
        path = folder / f"SYN-{i}.parquet"
        frame.to_parquet(path)
        out[f"SYN-{i}"] = str(path)
    return out


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(days: int, mode: str, folder: Path) -> dict[str, float]:
    files = synthetic_files(folder)
    start = (pd.Timestamp(END) - pd.Timedelta(days=days)).to_pydatetime()
    config = BattleConfig(
        models=MODELS, symbols=("SPX", "IXIC", "MSFT", *files), start=start, end=END,
        data=files, commission_pct=0.0005, slippage_bps=2.0, concurrency=mode,
    )  # fmt: skip
    store = Store.from_url(f"sqlite:///{folder / f'battle-{mode}.db'}")
    store.migrate()
    timed = mode == "sequential"
    factory = (lambda c, s: TimedBackend(make_backend(c.model))) if timed else None
    TimedBackend.spent = 0.0
    runner = BattleRunner(config, store, f"bench-{mode}", backends=factory)
    ticks = runner.plan.samples[0]["ticks"]
    cpu0, kids0, wall0 = time.process_time(), children_cpu(), time.perf_counter()
    runner.run()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0 + children_cpu() - kids0
    store.close()
    decisions = ticks * len(MODELS) * len(config.symbols)
    out = {
        "ticks": ticks,
        "decisions": decisions,
        "wall_s": wall,
        "cpu_s": cpu,
        "per_decision_wall_ms": 1e3 * wall / decisions,
        "per_cycle_wall_ms": 1e3 * wall / (ticks * len(MODELS)),
    }
    if timed:
        out["model_s"] = TimedBackend.spent
        out["per_decision_overhead_ms"] = 1e3 * (wall - TimedBackend.spent) / decisions
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="calendar days (252 sessions)")
    parser.add_argument("--modes", default="auto,sequential")
    args = parser.parse_args()
    configure_process(Settings())
    print(f"battle: {len(MODELS)} offline competitors x 5 symbols, {args.days} days to 2017-11-10")
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            r = measure(args.days, mode, Path(tmp))
            line = (
                f"{mode:>10}: {r['ticks']:.0f} ticks, {r['decisions']:.0f} decisions: "
                f"wall {r['wall_s']:.2f} s (target <= 15 s), cpu {r['cpu_s']:.2f} s, "
                f"{r['per_cycle_wall_ms']:.2f} ms per competitor-tick, "
                f"{r['per_decision_wall_ms']:.2f} ms per decision"
            )
            if "per_decision_overhead_ms" in r:
                line += (
                    f"; model {r['model_s']:.2f} s, overhead "
                    f"{r['per_decision_overhead_ms']:.2f} ms per decision"
                )
            print(line)


if __name__ == "__main__":
    main()
