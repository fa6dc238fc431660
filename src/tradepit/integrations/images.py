"""PNG charts for front ends without a browser (the Slack bot): equity curves (an account,
a daily summary, a battle's competitors against buy and hold) and a backtest (its trades on
the price, its equity against buy and hold, its drawdown).

Each chart is drawn on a `matplotlib.figure.Figure` of its own through the Agg canvas
(`FigureCanvasAgg`): no pyplot, no global backend or state, no display, and nothing written
to disk (the PNG is rendered into memory). Sizes are fixed (`DPI`, `*_SIZE`), so an image's
pixel dimensions never depend on its data; PNG metadata carries no version or date, so the
same data gives the same bytes. Every chart comes with an alt text stating its numbers.
Labels are drawn as given: redact them before (pixels cannot be redacted afterwards).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from tradepit.backtest.event import BacktestResult
from tradepit.backtest.metrics import drawdown
from tradepit.backtest.rerun import buy_and_hold

DPI = 100
EQUITY_SIZE = (9.0, 4.5)
"""Inches at `DPI`: 900 x 450 pixels."""
BACKTEST_SIZE = (9.0, 7.5)
"""900 x 750 pixels: price with trades, equity, drawdown."""
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HOLD = "buy & hold"
UP, DOWN, GREY = "#2e7d32", "#c62828", "#757575"


@dataclass(frozen=True)
class Png:
    """A rendered chart: the bytes, a file name, a title and what it shows in words."""

    data: bytes
    filename: str
    title: str
    alt: str

    @property
    def size(self) -> tuple[int, int]:
        return png_size(self.data)


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; ValueError when `data` is not a PNG."""
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _figure(size: tuple[float, float]) -> Figure:
    """A figure with fixed margins (a layout engine would triple the rendering time)."""
    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _render(figure: Figure, filename: str, title: str, alt: str) -> Png:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return Png(buffer.getvalue(), filename, title, alt)


def _x(index: pd.Index) -> np.ndarray:
    """Times as naive UTC datetime64 (what matplotlib's date axis takes as is)."""
    times = pd.DatetimeIndex(index)
    if times.tz is not None:
        times = times.tz_convert("UTC").tz_localize(None)
    return times.to_numpy()


def _dates(ax) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _money_axis(ax) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(True, alpha=0.3)


def _change(curve: pd.Series) -> str:
    first, last = float(curve.iloc[0]), float(curve.iloc[-1])
    change = f" ({last / first - 1:+.2%})" if first else ""
    return f"{first:,.2f} -> {last:,.2f}{change}"


def _span(curve: pd.Series) -> str:
    return f"{pd.Timestamp(curve.index[0]).date()}..{pd.Timestamp(curve.index[-1]).date()}"


def equity_png(
    curves: Mapping[str, pd.Series],
    title: str,
    *,
    benchmark: str | None = None,
    filename: str = "equity.png",
) -> Png:
    """Equity curves (time-indexed floats), one line each; `benchmark` names the one drawn
    dashed grey. Curves of fewer than two points are left out; ValueError when none is
    left."""
    shown = {name: c.dropna() for name, c in curves.items()}
    shown = {name: c for name, c in shown.items() if len(c) >= 2}
    if not shown:
        raise ValueError("no equity curve of two points or more to draw")
    figure = _figure(EQUITY_SIZE)
    figure.subplots_adjust(left=0.11, right=0.98, top=0.9, bottom=0.1)
    ax = figure.add_subplot()
    for name, curve in shown.items():
        style = {"color": GREY, "linestyle": "--"} if name == benchmark else {}
        ax.plot(_x(curve.index), curve.to_numpy(np.float64), label=name, linewidth=1.5, **style)
    ax.set_title(title)
    ax.set_ylabel("equity ($)")
    _dates(ax)
    _money_axis(ax)
    if len(shown) > 1:
        ax.legend(loc="upper left", fontsize="small")
    lines = [f"{name}: {_change(c)}, {_span(c)}" for name, c in shown.items()]
    return _render(figure, filename, title, f"{title}. " + "; ".join(lines) + ".")


def backtest_png(result: BacktestResult, closes: pd.Series) -> Png:
    """A backtest: the close with the trades' entries and exits, the equity against buying
    and holding, and the drawdown. `closes` are the symbol's daily closes (any span that
    covers the backtest's)."""
    equity = result.equity.dropna()
    if len(equity) < 2:
        raise ValueError("a backtest of fewer than two points")
    hold = buy_and_hold(equity, closes)
    price = closes.loc[equity.index[0] : equity.index[-1]]
    figure = _figure(BACKTEST_SIZE)
    figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.06, hspace=0.3)
    top, middle, bottom = figure.subplots(
        3, 1, sharex=True, gridspec_kw={"height_ratios": [0.4, 0.4, 0.2]}
    )
    top.plot(_x(price.index), price.to_numpy(np.float64), color="#37474f", linewidth=1)
    _trades(top, result)
    top.set_title(f"{result.symbol}: close and trades")
    top.grid(True, alpha=0.3)
    middle.plot(_x(equity.index), equity.to_numpy(np.float64), label=result.strategy)
    middle.plot(_x(hold.index), hold.to_numpy(np.float64), label=HOLD, color=GREY, ls="--")
    middle.set_title("equity")
    middle.legend(loc="upper left", fontsize="small")
    _money_axis(middle)
    dd = 100.0 * drawdown(equity.to_numpy(np.float64))
    bottom.fill_between(_x(equity.index), dd, 0.0, color=DOWN, alpha=0.3, linewidth=0)
    bottom.set_title("drawdown %")
    bottom.grid(True, alpha=0.3)
    _dates(bottom)
    title = f"Backtest: {result.strategy} on {result.symbol}, {_span(equity)}"
    figure.suptitle(title)
    alt = (
        f"{title}. Equity {_change(equity)}; buy and hold {_change(hold)}; max drawdown "
        f"{dd.min():.2f}%; {len(result.trades)} trades, entries and exits marked on the close."
    )
    return _render(figure, f"backtest-{result.strategy}-{result.symbol}.png", title, alt)


def _trades(ax, result: BacktestResult) -> None:
    trades = result.trades
    for side, marker, colour in (("long", "^", UP), ("short", "v", DOWN)):
        chosen = [t for t in trades if t.side == side]
        if chosen:
            ax.scatter(
                _x(pd.DatetimeIndex([t.entry_time for t in chosen])),
                [t.entry_price for t in chosen],
                marker=marker, color=colour, s=36, zorder=3, label=f"{side} entry",
            )  # fmt: skip
    if trades:
        ax.scatter(
            _x(pd.DatetimeIndex([t.exit_time for t in trades])),
            [t.exit_price for t in trades],
            marker="x", color="black", s=28, zorder=3, label="exit",
        )  # fmt: skip
        ax.legend(loc="upper left", fontsize="small")
