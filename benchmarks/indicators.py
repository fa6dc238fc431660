"""Indicator speed on 1M bars: ours vs TA-Lib vs pandas-ta-classic's native code.

Run: ``.venv/bin/python benchmarks/indicators.py [--bars N] [--repeat N]``

Synthetic random-walk OHLCV with a fixed seed (a speed measurement, not a data test).
Times are the best of N runs in milliseconds, ours and TA-Lib interleaved. Numba-compiled
code is warmed up first; its compile time (fresh, without the cache) is reported separately.
pandas-ta-classic is called with ``talib=False`` so its own code is timed, not TA-Lib's.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numba
import numpy as np
import pandas as pd
import talib

from tradepit import indicators as ind
from tradepit.indicators._validate import pandas_ta
from tradepit.indicators.divergence import _divergence_scan
from tradepit.indicators.supertrend import _supertrend_loop

Timed = Callable[[], object]


def make_bars(n: int, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n)))
    spread = close * rng.uniform(0.0002, 0.002, n)
    high = close + spread * rng.uniform(0, 1, n)
    low = close - spread * rng.uniform(0, 1, n)
    volume = rng.integers(100, 10_000, n).astype(np.float64)
    index = pd.date_range("2020-01-01 09:30", periods=n, freq="min", tz="UTC")
    return pd.DataFrame({"high": high, "low": low, "close": close, "volume": volume}, index)


def best_ms(*fns: Timed, repeat: int) -> list[float]:
    """Best time of each function in ms; runs are interleaved (a, b, a, b, ...) so that
    allocator and cache states, which swing large-array timings, hit all of them alike."""
    for fn in fns:
        fn()  # warm-up (numba, lazy imports, caches)
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return [b * 1e3 for b in best]


def cases(bars: pd.DataFrame) -> list[tuple[str, Timed, Timed | None, Timed | None]]:
    h, lo, c, v = (bars[k].to_numpy() for k in ("high", "low", "close", "volume"))
    H, L, C, V = (bars[k] for k in ("high", "low", "close", "volume"))
    Hn, Ln, Cn, Vn = (x.tz_localize(None) for x in (H, L, C, V))  # as ours passes it
    r = ind.rsi(c)
    ta = pandas_ta()
    return [
        ("sma(20)", lambda: ind.sma(c, 20), lambda: talib.SMA(c, 20),
         lambda: ta.sma(C, 20, talib=False)),
        ("ema(20)", lambda: ind.ema(c, 20), lambda: talib.EMA(c, 20),
         lambda: ta.ema(C, 20, talib=False)),
        ("rsi(14)", lambda: ind.rsi(c), lambda: talib.RSI(c, 14),
         lambda: ta.rsi(C, 14, talib=False)),
        ("macd(12,26,9)", lambda: ind.macd(c), lambda: talib.MACD(c, 12, 26, 9),
         lambda: ta.macd(C, 12, 26, 9, talib=False)),
        ("atr(14)", lambda: ind.atr(h, lo, c), lambda: talib.ATR(h, lo, c, 14),
         lambda: ta.atr(H, L, C, 14, talib=False)),
        ("bbands(20,2)", lambda: ind.bbands(c), lambda: talib.BBANDS(c, 20, 2.0, 2.0, 0),
         lambda: ta.bbands(C, 20, 2.0, ddof=0, talib=False)),
        ("kama(10,2,30)", lambda: ind.kama(c), lambda: talib.KAMA(c, 10),
         lambda: ta.kama(C, 10, 2, 30, talib=False)),
        ("stoch(14,3,3)", lambda: ind.stoch(h, lo, c),
         lambda: talib.STOCH(h, lo, c, 14, 3, 0, 3, 0),
         lambda: ta.stoch(H, L, C, 14, 3, 3, talib=False)),
        ("adx(14)", lambda: ind.adx(h, lo, c), lambda: talib.ADX(h, lo, c, 14),
         lambda: ta.adx(H, L, C, 14, talib=False)),
        ("obv", lambda: ind.obv(c, v), lambda: talib.OBV(c, v), lambda: ta.obv(C, V, talib=False)),
        ("vwap(D)", lambda: ind.vwap(h, lo, c, v, bars.index), None,
         lambda: ta.vwap(Hn, Ln, Cn, Vn, anchor="D")),
        ("vwap(cumulative)", lambda: ind.vwap(h, lo, c, v), None, None),
        ("supertrend(10,3)", lambda: ind.supertrend(h, lo, c, 10, 3.0), None,
         lambda: ta.supertrend(H, L, C, 10, 3.0, talib=False)),
        ("rsi_divergence(5,60)", lambda: ind.rsi_divergence(c, r), None, None),
    ]  # fmt: skip


def compile_times() -> list[tuple[str, float]]:
    """(kernel, ms to compile it afresh, without the on-disk cache)."""
    rows = []
    for name, dispatcher in (
        ("supertrend loop", _supertrend_loop),
        ("divergence scan", _divergence_scan),
    ):
        start = time.perf_counter()
        numba.njit(dispatcher.signatures, cache=False)(dispatcher.py_func)  # eager compile
        rows.append((name, (time.perf_counter() - start) * 1e3))
    return rows


def fmt(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:9.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7, help="runs for ours and TA-Lib")
    parser.add_argument("--repeat-pandas-ta", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", category=FutureWarning)  # pandas-ta-classic's own
    bars = make_bars(args.bars)
    print("numba compile, excluded from the table (with cache=True it is paid once, then")
    print("the kernels load from the on-disk cache when tradepit.indicators is imported):")
    for name, fresh in compile_times():
        print(f"  {name:18s} {fresh:8.1f} ms")
    print(f"\n{args.bars:,} bars, best of {args.repeat} (pandas-ta: {args.repeat_pandas_ta}), ms")
    print(f"{'indicator':22s} {'ours':>9s} {'TA-Lib':>9s} {'pandas-ta':>9s} {'ours/TA-Lib':>11s}")
    for name, ours, ref, pta in cases(bars):
        timed = best_ms(ours, ref, repeat=args.repeat) if ref else best_ms(ours, repeat=args.repeat)
        t_ours, t_ref = timed[0], (timed[1] if ref else None)
        t_pta = best_ms(pta, repeat=args.repeat_pandas_ta)[0] if pta else None
        ratio = f"{t_ours / t_ref:11.2f}" if t_ref else f"{'-':>11s}"
        print(f"{name:22s} {fmt(t_ours):>9s} {fmt(t_ref):>9s} {fmt(t_pta):>9s} {ratio}")


if __name__ == "__main__":
    main()
