"""Self-contained HTML reports (plotly, inlined so they open offline).

- `backtest_report`: price with the strategy's indicators and the trades marked, equity
  curve, drawdown, metrics table, trade list.
- `optimize_report`: summary, optimisation history, parameter importance (Optuna's
  default evaluator), best trials, and the best parameters' backtest when given.
- `walkforward_report`: verdict and rule, in-sample vs out-of-sample per window, the
  chained out-of-sample equity curve, and the window table.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tradepit.backtest.event import BacktestResult
from tradepit.backtest.metrics import drawdown
from tradepit.backtest.objectives import __doc__ as OBJECTIVES_DOC
from tradepit.backtest.optimize import OptimizeResult, TrialRecord
from tradepit.backtest.report_html import Page, fmt
from tradepit.backtest.report_indicators import Panels, indicator_panels
from tradepit.backtest.walkforward import WalkForwardResult
from tradepit.backtest.walkforward import __doc__ as WALKFORWARD_DOC
from tradepit.domain.errors import TradepitError
from tradepit.strategies import get_strategy

__all__ = ["backtest_report", "optimize_report", "walkforward_report"]

log = logging.getLogger(__name__)

CANDLES_UP_TO = 2500
"""Longer series are drawn as a close line (candles of 5,000+ bars are slow to render)."""
TRADES_LISTED = 200


def _panels(result: BacktestResult, bars: pd.DataFrame) -> Panels:
    try:
        strategy = get_strategy(result.strategy)
        params = strategy.Params(**result.params)
        return indicator_panels(strategy.name, bars, params)
    except (TradepitError, ValueError) as e:
        log.info("no indicators for %s in the report: %s", result.strategy, e)
        return Panels()


def _price_traces(fig: go.Figure, result: BacktestResult, bars: pd.DataFrame, panels) -> None:
    x = bars.index
    if len(bars) <= CANDLES_UP_TO:
        fig.add_trace(
            go.Candlestick(
                x=x, open=bars["open"], high=bars["high"], low=bars["low"],
                close=bars["close"], name="price",
            ),
            row=1, col=1,
        )  # fmt: skip
    else:
        fig.add_trace(go.Scatter(x=x, y=bars["close"], name="close", line={"width": 1}), 1, 1)
    for name, values in panels.overlays.items():
        fig.add_trace(go.Scatter(x=x, y=values, name=name, line={"width": 1}), 1, 1)
    stop = result.signals["stop"].to_numpy() if "stop" in result.signals else None
    if stop is not None and np.isfinite(stop).any() and result.strategy != "supertrend":
        line = {"width": 1, "dash": "dot"}
        fig.add_trace(go.Scatter(x=x, y=stop, name="stop", line=line), 1, 1)
    _trade_markers(fig, result)


def _trade_markers(fig: go.Figure, result: BacktestResult) -> None:
    trades = result.trades
    if not trades:
        return
    for side, symbol, colour in (
        ("long", "triangle-up", "green"),
        ("short", "triangle-down", "red"),
    ):
        chosen = [t for t in trades if t.side == side]
        if chosen:
            fig.add_trace(
                go.Scatter(
                    x=[t.entry_time for t in chosen], y=[t.entry_price for t in chosen],
                    mode="markers", name=f"{side} entry",
                    marker={"symbol": symbol, "size": 10, "color": colour},
                ),
                row=1, col=1,
            )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[t.exit_time for t in trades], y=[t.exit_price for t in trades],
            mode="markers", name="exit", marker={"symbol": "x", "size": 8, "color": "black"},
            text=[f"{t.side} pnl {t.pnl:,.2f}" for t in trades],
        ),
        row=1, col=1,
    )  # fmt: skip


def _backtest_figure(result: BacktestResult, bars: pd.DataFrame) -> go.Figure:
    panels = _panels(result, bars)
    titles = ["price", *(name for name, _ in panels.lower), "equity", "drawdown %"]
    heights = [0.45, *(0.15 for _ in panels.lower), 0.25, 0.15]
    fig = make_subplots(
        rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.03,
        subplot_titles=titles, row_heights=heights,
    )  # fmt: skip
    _price_traces(fig, result, bars, panels)
    for row, (_, lines) in enumerate(panels.lower, start=2):
        for name, values in lines.items():
            trace = go.Bar if name == "hist" else go.Scatter
            fig.add_trace(trace(x=bars.index, y=values, name=name), row=row, col=1)
    equity = result.equity
    fig.add_trace(go.Scatter(x=equity.index, y=equity, name="equity"), len(titles) - 1, 1)
    dd = 100.0 * drawdown(equity.to_numpy(np.float64))
    fig.add_trace(go.Scatter(x=equity.index, y=dd, name="drawdown", fill="tozeroy"), len(titles), 1)
    fig.update_layout(xaxis_rangeslider_visible=False, hovermode="x unified")
    return fig


def _backtest_sections(page: Page, result: BacktestResult, bars: pd.DataFrame) -> None:
    bars = bars.loc[result.equity.index[0] : result.equity.index[-1]]
    page.note(f"{result.strategy} on {result.symbol}; parameters {result.params}")
    page.mapping(result.metrics.to_dict(), ("metric", "value"))
    page.figure(_backtest_figure(result, bars), height=900)
    trades = result.trades[-TRADES_LISTED:]
    page.heading(f"Trades ({len(result.trades)}; the last {len(trades)} listed)")
    page.table(
        ("side", "qty", "entry", "entry price", "exit", "exit price", "pnl", "return %"),
        (
            (t.side, t.qty, str(t.entry_time), t.entry_price, str(t.exit_time),
             t.exit_price, t.pnl, t.return_pct)
            for t in trades
        ),
    )  # fmt: skip


def backtest_report(result: BacktestResult, bars: pd.DataFrame, path: Path) -> Path:
    """Write the report of one backtest to `path` (HTML); returns the path."""
    page = Page(f"Backtest: {result.strategy} on {result.symbol}")
    _backtest_sections(page, result, bars)
    return page.write(path)


def _history_figure(trials: list[TrialRecord]) -> go.Figure:
    complete = [t for t in trials if t.state == "complete" and t.value is not None]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[t.number for t in complete], y=[t.value for t in complete],
            mode="markers", name="objective",
        )
    )  # fmt: skip
    if complete:
        best = np.maximum.accumulate([t.value for t in complete])
        fig.add_trace(go.Scatter(x=[t.number for t in complete], y=best, name="best so far"))
    pruned = [t.number for t in trials if t.state == "pruned"]
    if pruned and complete:
        floor = min(t.value for t in complete)
        fig.add_trace(
            go.Scatter(
                x=pruned, y=[floor] * len(pruned), mode="markers", name="pruned",
                marker={"symbol": "x", "color": "grey"},
            )
        )  # fmt: skip
    fig.update_layout(title="optimisation history", xaxis_title="trial")
    return fig


def _importance(study: optuna.Study | None) -> dict[str, float]:
    """Optuna's parameter importances; empty when it cannot tell them apart (too few
    complete trials: it then warns and returns equal values, which would mislead)."""
    if study is None:
        return {}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            importance = optuna.importance.get_param_importances(study)
    except (ValueError, RuntimeError) as e:  # no complete trial, or one value only
        log.info("no parameter importance: %s", e)
        return {}
    if any("will be equal" in str(w.message) for w in caught) or not any(importance.values()):
        log.info("no parameter importance: too few complete trials")
        return {}
    return importance


def optimize_report(
    result: OptimizeResult,
    path: Path,
    *,
    backtest: BacktestResult | None = None,
    bars: pd.DataFrame | None = None,
) -> Path:
    """Write the tuning report; with `backtest` and `bars`, the best parameters' backtest too."""
    page = Page(f"Optimisation: {result.strategy} on {result.symbol}")
    summary = {k: v for k, v in result.to_dict().items() if k not in ("best_metrics",)}
    page.mapping({k: str(v) if isinstance(v, dict) else v for k, v in summary.items()})
    page.note(_plain(OBJECTIVES_DOC))
    page.figure(_history_figure(result.trials), height=420)
    importance = _importance(result.study)
    page.heading("Parameter importance")
    if importance:
        names = list(importance)[::-1]
        bar = go.Bar(x=[importance[n] for n in names], y=names, orientation="h")
        page.figure(go.Figure(bar, layout={"title": "parameter importance"}), height=360)
    else:
        page.note("not available: needs at least two complete trials with varied parameters")
    _best_trials(page, result.trials)
    if backtest is not None and bars is not None:
        page.heading("Best parameters, backtest")
        _backtest_sections(page, backtest, bars)
    return page.write(path)


def _best_trials(page: Page, trials: list[TrialRecord], top: int = 15) -> None:
    ranked = sorted(
        (t for t in trials if t.state == "complete" and t.value is not None),
        key=lambda t: -t.value,
    )[:top]
    page.heading(f"Best trials (top {len(ranked)})")
    names = sorted({n for t in ranked for n in t.params})
    metrics = ("trades", "return_pct", "sharpe", "max_drawdown_pct", "win_rate")
    page.table(
        ("trial", "value", *names, *metrics),
        (
            (t.number, t.value, *(t.params.get(n) for n in names),
             *(t.metrics.get(m) for m in metrics))
            for t in ranked
        ),
    )  # fmt: skip


def walkforward_report(result: WalkForwardResult, path: Path) -> Path:
    """Write the walk-forward report (in-sample vs out-of-sample per window)."""
    page = Page(f"Walk-forward: {result.strategy} on {result.symbol}")
    flagged = sum(w.overfit for w in result.windows)
    css = "ok" if result.verdict == "ok" else "flag"
    page.note(
        f"verdict: {result.verdict} ({flagged} of {len(result.windows)} windows flagged)", css
    )
    summary = {k: v for k, v in result.to_dict().items() if k not in ("windows", "oos")}
    page.mapping(summary)
    page.heading("Out-of-sample, all test windows chained")
    page.mapping(result.oos_metrics, ("metric", "value"))
    numbers = [f"#{w.window.number} {w.test[0].date()}" for w in result.windows]
    fig = go.Figure(
        [
            go.Bar(x=numbers, y=[w.is_metrics["sharpe"] for w in result.windows], name="IS Sharpe"),
            go.Bar(
                x=numbers, y=[w.oos_metrics["sharpe"] for w in result.windows], name="OOS Sharpe"
            ),
        ],
        layout={"barmode": "group", "title": "Sharpe per window: in-sample vs out-of-sample"},
    )
    page.figure(fig, height=420)
    equity = result.oos_equity
    curve = go.Scatter(x=equity.index, y=equity, name="OOS equity")
    page.figure(go.Figure(curve, layout={"title": "out-of-sample equity"}), height=380)
    page.heading("Windows")
    page.table(
        ("#", "train", "test", "params", "trials counted", "IS Sharpe", "OOS Sharpe",
         "IS return %", "OOS return %", "OOS trades", "efficiency", "overfit"),
        (
            (w.window.number, f"{w.train[0].date()}..{w.train[1].date()}",
             f"{w.test[0].date()}..{w.test[1].date()}", _params_text(w.params),
             w.trials_counted, w.is_metrics["sharpe"], w.oos_metrics["sharpe"],
             w.is_metrics["return_pct"], w.oos_metrics["return_pct"], w.oos_metrics["trades"],
             w.efficiency, w.overfit)
            for w in result.windows
        ),
    )  # fmt: skip
    page.note(_plain(WALKFORWARD_DOC))
    return page.write(path)


def _params_text(params: dict) -> str:
    return ", ".join(f"{k}={fmt(v)}" for k, v in params.items())


def _plain(doc: str | None) -> str:
    return " ".join((doc or "").replace("``", "").split())
