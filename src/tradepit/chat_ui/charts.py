"""Plotly figures for the chat: price with indicators, and a backtest's equity curve.

Bars come from the session's point-in-time feed (nothing after the clock's now). Indicators
are computed over extra bars before the chart's start (`WARMUP_BARS`) so that they have
converged on the first bar shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tradepit.backtest.event import BacktestResult
from tradepit.backtest.metrics import drawdown
from tradepit.backtest.report import CANDLES_UP_TO
from tradepit.backtest.rerun import buy_and_hold
from tradepit.domain.errors import NoDataError
from tradepit.domain.ports import MarketData
from tradepit.indicators import compute
from tradepit.tools.get_indicators import parse_spec

WARMUP_BARS = 300
DEFAULT_DAYS = 365
OVERLAYS = frozenset({"sma", "ema", "kama", "bbands", "vwap", "supertrend"})
"""Indicators drawn over the price (same scale); the others get a panel of their own."""
UP, DOWN = "#2e7d32", "#c62828"


@dataclass(frozen=True)
class Chart:
    """A figure and one line describing what it shows."""

    figure: go.Figure
    summary: str


def _utc(day: date, end: bool = False) -> datetime:
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def chart_bars(
    market: MarketData, symbol: str, start: date | None, end: date | None, now: datetime
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Daily bars of `symbol` from WARMUP_BARS before `start` up to `end`, and the first
    timestamp to show. Default window: the last DEFAULT_DAYS before `end` (or now)."""
    hi = _utc(end, end=True) if end else now
    first = (
        pd.Timestamp(_utc(start)) if start else pd.Timestamp(hi) - pd.Timedelta(DEFAULT_DAYS, "D")
    )
    lo = (first - pd.Timedelta(days=WARMUP_BARS * 7 // 5 + 10)).to_pydatetime()
    bars = market.get_bars(symbol, "1Day", start=lo, end=hi)
    if bars.loc[first:].empty:
        window = f"{first.date()}..{pd.Timestamp(hi).date()}"
        raise NoDataError(f"no {symbol} bars in {window} (data ends {now.date()})")
    return bars, first


def _supertrend(fig: go.Figure, x: pd.Index, frame: pd.DataFrame, label: str) -> None:
    line = frame.iloc[:, 0].to_numpy(np.float64)
    direction = frame.iloc[:, 1].to_numpy(np.float64)
    for sign, colour, side in ((1.0, UP, "up"), (-1.0, DOWN, "down")):
        y = np.where(direction == sign, line, np.nan)
        trace = go.Scatter(x=x, y=y, name=f"{label} {side}", line={"color": colour, "width": 1.5})
        fig.add_trace(trace, row=1, col=1)


def _price(fig: go.Figure, bars: pd.DataFrame, symbol: str) -> None:
    if len(bars) <= CANDLES_UP_TO:
        candles = go.Candlestick(
            x=bars.index, open=bars["open"], high=bars["high"], low=bars["low"],
            close=bars["close"], name=symbol,
        )  # fmt: skip
        fig.add_trace(candles, row=1, col=1)
    else:
        fig.add_trace(go.Scatter(x=bars.index, y=bars["close"], name=symbol), row=1, col=1)


def price_chart(
    bars: pd.DataFrame, symbol: str, specs: Sequence[str], first: pd.Timestamp
) -> Chart:
    """Candles (or a close line for long spans) from `first`, with the indicators of
    `specs` ("supertrend", "sma:50", "macd") computed over all of `bars`."""
    computed = []
    for spec in specs:
        name, params = parse_spec(spec)
        computed.append((name, spec, compute(name, bars, **params).loc[first:]))
    shown = bars.loc[first:]
    lower = [c for c in computed if c[0] not in OVERLAYS]
    heights = [1.0] if not lower else [0.6, *([0.4 / len(lower)] * len(lower))]
    titles = [symbol, *(spec for _, spec, _ in lower)] if lower else None
    fig = make_subplots(
        rows=len(heights), cols=1, shared_xaxes=True, vertical_spacing=0.05,
        row_heights=heights, subplot_titles=titles,
    )  # fmt: skip
    _price(fig, shown, symbol)
    for name, spec, frame in computed:
        if name == "supertrend":
            _supertrend(fig, shown.index, frame, spec)
        elif name in OVERLAYS:
            for col in frame.columns:
                fig.add_trace(go.Scatter(x=shown.index, y=frame[col], name=col), row=1, col=1)
    for row, (_, _, frame) in enumerate(lower, start=2):
        for col in frame.columns:
            kind = go.Bar if col.endswith("_hist") else go.Scatter
            fig.add_trace(kind(x=shown.index, y=frame[col], name=col), row=row, col=1)
    first_day, last_day = shown.index[0].date(), shown.index[-1].date()
    fig.update_layout(
        title=f"{symbol} {first_day}..{last_day}", xaxis_rangeslider_visible=False,
        hovermode="x unified", height=420 + 160 * len(lower), margin={"t": 60, "b": 30},
    )  # fmt: skip
    change = shown["close"].iloc[-1] / shown["close"].iloc[0] - 1.0
    with_ = f" with {', '.join(specs)}" if specs else ""
    summary = (
        f"{symbol}{with_}, {first_day}..{last_day} ({len(shown)} daily bars): close "
        f"{shown['close'].iloc[0]:,.2f} -> {shown['close'].iloc[-1]:,.2f} ({change:+.2%})."
    )
    return Chart(fig, summary)


def equity_chart(result: BacktestResult, closes: pd.Series) -> Chart:
    """The strategy's equity against buying and holding, and its drawdown."""
    equity = result.equity
    hold = buy_and_hold(equity, closes)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06, row_heights=[0.7, 0.3],
        subplot_titles=("equity", "drawdown %"),
    )  # fmt: skip
    fig.add_trace(go.Scatter(x=equity.index, y=equity, name=result.strategy), row=1, col=1)
    fig.add_trace(
        go.Scatter(x=hold.index, y=hold, name="buy and hold", line={"dash": "dot"}), row=1, col=1
    )
    dd = 100.0 * drawdown(equity.to_numpy(np.float64))
    fig.add_trace(go.Scatter(x=equity.index, y=dd, name="drawdown", fill="tozeroy"), 2, 1)
    fig.update_layout(
        title=f"Backtest: {result.strategy} on {result.symbol}", hovermode="x unified",
        height=480, margin={"t": 60, "b": 30},
    )  # fmt: skip
    total = equity.iloc[-1] / equity.iloc[0] - 1.0
    summary = (
        f"Equity of {result.strategy} on {result.symbol}: {equity.iloc[0]:,.2f} -> "
        f"{equity.iloc[-1]:,.2f} ({total:+.2%}), {len(result.trades)} trades."
    )
    return Chart(fig, summary)
