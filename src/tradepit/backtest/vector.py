"""Vector backtest: a strategy's signals (computed once, vectorized) run through a compiled
per-bar loop with the semantics of the event path (``event.py`` + the paper broker).

Edge-triggered: when the target of bar t differs from the previous one, the position is
closed (target 0 or the other side) and/or a new one is opened, by market orders that fill
at the open of bar t+1 (slippage against the trader). A changed target of the same sign
while a position is open does not resize it. An entry carries the signal's ``stop`` (and,
when the frame has one, ``take_profit``) as legs that are live from the entry bar on; when
both are touched in one bar, the stop fills first. Commission per fill is
``per_share * qty + pct * qty * price``. A trade still open after the last bar is closed at
the last close (or, with ``exit_at_end="open"``, at the last open as backtesting.py's
``finalize_trades`` does), without slippage.

Sizing: ``qty = floor(equity * |target| * size / unit_cost)`` with
``unit_cost = price * (1 + slippage) * (1 + pct) + per_share``. ``sizing="close"`` (the
event path) uses the equity and price at the signal bar's close; ``sizing="fill"`` (as
backtesting.py) the cash and the open at the fill. Whole shares unless
``config.fractional`` (then 1e-6 units). Unlike the paper broker, no buying-power check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd

from tradepit.backtest import _kernels as k
from tradepit.backtest.event import BacktestConfig, BacktestResult
from tradepit.backtest.metrics import Metrics, Trade
from tradepit.domain.errors import MalformedDataError, OrderRejectedError
from tradepit.domain.models import Asset, Fill, Side
from tradepit.market.timeframe import annualisation_factor
from tradepit.strategies.base import Strategy, StrategyParams

__all__ = [
    "EndPrice",
    "Ohlc",
    "Sizing",
    "VectorResult",
    "backtest_signals",
    "kernel_settings",
    "run_vector",
    "signal_arrays",
]

Sizing = Literal["close", "fill"]
EndPrice = Literal["close", "open"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_END_STAMP = timedelta(microseconds=1)
"""The event path stamps its close-at-end fill just after the last bar's open."""


def _f64(column: pd.Series) -> np.ndarray:
    """A contiguous, writable float64 array (one numba signature for every input)."""
    array = np.ascontiguousarray(column.to_numpy(np.float64))
    return array if array.flags.writeable else array.copy()


@dataclass(frozen=True)
class Ohlc:
    """OHLC of one symbol as contiguous float64 arrays, plus UTC nanosecond times."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    ns: np.ndarray

    @classmethod
    def of(cls, bars: pd.DataFrame) -> Ohlc:
        missing = [c for c in ("open", "high", "low", "close") if c not in bars.columns]
        if missing:
            raise MalformedDataError(f"bars lack column(s) {', '.join(missing)}")
        index = bars.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            raise MalformedDataError("bars need a timezone-aware DatetimeIndex (UTC)")
        if len(bars) < 2:
            raise MalformedDataError(f"need at least 2 bars, got {len(bars)}")
        arrays = (_f64(bars[c]) for c in ("open", "high", "low", "close"))
        return cls(*arrays, ns=index.as_unit("ns").asi8)

    def time(self, i: int, shift: timedelta = timedelta(0)) -> datetime:
        return _EPOCH + timedelta(microseconds=int(self.ns[i]) // 1000) + shift


def kernel_settings(config: BacktestConfig, sizing: Sizing, exit_at_end: EndPrice) -> tuple:
    """The scalar arguments of `_kernels.simulate` after the signal arrays, in order."""
    if sizing not in ("close", "fill"):
        raise ValueError(f"sizing must be 'close' or 'fill', not {sizing!r}")
    if exit_at_end not in ("close", "open"):
        raise ValueError(f"exit_at_end must be 'close' or 'open', not {exit_at_end!r}")
    end = k.END_KEEP
    if config.close_at_end:
        end = k.END_AT_CLOSE if exit_at_end == "close" else k.END_AT_OPEN
    return (
        float(config.cash),
        float(config.commission_per_share),
        float(config.commission_pct),
        float(config.slippage_bps) / 1e4,
        float(config.size),
        bool(config.fractional),
        sizing == "fill",
        int(end),
    )


def signal_arrays(signals: pd.DataFrame, asset: Asset, n: int) -> tuple[np.ndarray, ...]:
    """target, stop, take_profit as float64 arrays of `n` bars; refuses NaN targets and
    shorts the asset cannot take."""
    target = _f64(signals["target"])
    if len(target) != n:
        raise ValueError(f"signals have {len(target)} rows for {n} bars")
    if np.isnan(target).any():
        raise ValueError("signal targets must not be NaN")
    stop, tp = (
        _f64(signals[c]) if c in signals else np.full(n, np.nan) for c in ("stop", "take_profit")
    )
    if not asset.shortable and (target < 0).any():
        raise OrderRejectedError("not_shortable", f"{asset.symbol} cannot be sold short")
    return target, stop, tp


def run_vector(
    strategy: Strategy,
    bars: pd.DataFrame,
    symbol: str,
    params: StrategyParams | None = None,
    config: BacktestConfig | None = None,
    asset: Asset | None = None,
    sizing: Sizing = "close",
    *,
    exit_at_end: EndPrice = "close",
) -> VectorResult:
    """Backtest `strategy` on `bars` (UTC-indexed OHLCV); same result type as the event path."""
    params = params if params is not None else strategy.Params()
    signals = strategy.signals(bars, params)
    return backtest_signals(
        bars, signals, symbol, config, asset, sizing,
        exit_at_end=exit_at_end, strategy=strategy.name, params=params.model_dump(),
    )  # fmt: skip


def backtest_signals(
    bars: pd.DataFrame,
    signals: pd.DataFrame,
    symbol: str,
    config: BacktestConfig | None = None,
    asset: Asset | None = None,
    sizing: Sizing = "close",
    *,
    exit_at_end: EndPrice = "close",
    strategy: str = "signals",
    params: dict | None = None,
) -> VectorResult:
    """Backtest a ready signal frame (``target``, ``stop``, optional ``take_profit``)."""
    config = config or BacktestConfig()
    asset = asset or Asset(symbol=symbol)
    series = Ohlc.of(bars)
    n = len(series.close)
    target, stop, tp = signal_arrays(signals, asset, n)
    equity, exposure = np.empty(n), np.empty(n, dtype=np.bool_)
    records, acc = np.empty((n, k.TRADE_COLUMNS)), np.zeros(k.ACC_SIZE)
    still_open = k.simulate(
        series.open, series.high, series.low, series.close, target, stop, tp,
        *kernel_settings(config, sizing, exit_at_end), equity, exposure, records, acc,
    )  # fmt: skip
    ppy = annualisation_factor(asset.calendar, config.timeframe)
    values = np.empty(k.N_STATS)
    k.stats(equity, exposure, acc, ppy, values)
    records = records[: int(acc[k.A_TRADES])].copy()  # frees the n-row buffer
    return VectorResult(
        symbol,
        strategy,
        params or {},
        _metrics(series, values, float(equity[0])),
        pd.Series(equity, index=bars.index, name="equity"),
        signals,
        trades=lambda: _trades(symbol, series, records, exit_at_end),
        fills=lambda: _fills(symbol, series, records, still_open),
    )


class VectorResult(BacktestResult):
    """A `BacktestResult` whose `trades` and `fills` objects are built on first access, so
    a caller that reads only the metrics (sweeps, tuning) does not pay for them."""

    def __init__(
        self,
        symbol: str,
        strategy: str,
        params: dict,
        metrics: Metrics,
        equity: pd.Series,
        signals: pd.DataFrame,
        *,
        trades: Callable[[], list[Trade]],
        fills: Callable[[], list[Fill]],
    ) -> None:
        self.symbol, self.strategy, self.params = symbol, strategy, params
        self.metrics, self.equity, self.signals = metrics, equity, signals
        self._make_trades, self._make_fills = trades, fills
        self._trades: list[Trade] | None = None
        self._fills: list[Fill] | None = None

    @property  # type: ignore[override]
    def trades(self) -> list[Trade]:
        if self._trades is None:
            self._trades = self._make_trades()
        return self._trades

    @property  # type: ignore[override]
    def fills(self) -> list[Fill]:
        if self._fills is None:
            self._fills = self._make_fills()
        return self._fills


def _metrics(series: Ohlc, values: np.ndarray, start_equity: float) -> Metrics:
    named = dict(zip(k.STAT_NAMES, values.tolist(), strict=True))
    named["trades"] = int(named["trades"])
    named["max_drawdown_duration_bars"] = int(named["max_drawdown_duration_bars"])
    close = series.close
    return Metrics(
        start=series.time(0),
        end=series.time(len(close) - 1),
        start_equity=start_equity,
        buy_and_hold_return_pct=100.0 * float(close[-1] / close[0] - 1.0),
        **named,
    )


def _trades(symbol: str, series: Ohlc, records: np.ndarray, exit_at_end: EndPrice) -> list:
    trades = []
    end_shift = _END_STAMP if exit_at_end == "close" else timedelta(0)
    for row in records.tolist():
        shift = end_shift if row[k.T_KIND] == k.EXIT_END else timedelta(0)
        qty = row[k.T_QTY]
        trades.append(
            Trade(
                symbol=symbol,
                side="long" if row[k.T_SIDE] > 0 else "short",
                qty=qty,
                entry_time=series.time(int(row[k.T_ENTRY_BAR])),
                exit_time=series.time(int(row[k.T_EXIT_BAR]), shift),
                entry_price=qty * row[k.T_ENTRY_PX] / qty,  # trades_from_fills' average
                exit_price=qty * row[k.T_EXIT_PX] / qty,
                pnl=row[k.T_PNL],
                commission=row[k.T_COMMISSION],
            )
        )
    return trades


def _fills(symbol: str, series: Ohlc, records: np.ndarray, still_open: tuple) -> list[Fill]:
    """Broker-side fills in time order, as the event path has them: a reversal is one fill
    (exit and entry at the same open); the synthetic close-at-end exit is none."""
    legs: list[list[float]] = []

    def add(bar: float, sign: float, qty: float, price: float, fee: float) -> None:
        if legs and legs[-1][0] == bar and legs[-1][1] == sign:
            legs[-1][2] += qty
            legs[-1][4] += fee
        else:
            legs.append([bar, sign, qty, price, fee])

    for row in records.tolist():
        sign, qty = row[k.T_SIDE], row[k.T_QTY]
        add(row[k.T_ENTRY_BAR], sign, qty, row[k.T_ENTRY_PX], row[k.T_ENTRY_FEE])
        if row[k.T_KIND] != k.EXIT_END:
            add(row[k.T_EXIT_BAR], -sign, qty, row[k.T_EXIT_PX], row[k.T_EXIT_FEE])
    bar, sign, qty, price, fee = still_open
    if sign != 0:
        add(bar, sign, qty, price, fee)
    return [
        Fill.model_construct(
            id=f"vector-f{i}",
            order_id=f"vector-o{i}",
            client_order_id=f"vector-c{i}",
            symbol=symbol,
            side=Side.BUY if sign > 0 else Side.SELL,
            qty=Decimal(repr(qty)),
            price=Decimal(repr(price)),
            commission=Decimal(repr(fee)),
            timestamp=series.time(int(bar)),
        )
        for i, (bar, sign, qty, price, fee) in enumerate(legs, 1)
    ]
