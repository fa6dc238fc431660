"""The HTML report of a battle (self-contained: plotly inlined, opens offline): leaderboard,
equity curves of every competitor and the benchmark, drawdowns, trades and fees, inference
cost, the aggregate over samples, the memory ablation (when the battle ran models without
and with memory), and the decision log."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from tradepit.backtest.metrics import drawdown
from tradepit.backtest.report_html import Page
from tradepit.battle import records
from tradepit.battle.leaderboard import Leaderboard, SampleBoard
from tradepit.memory.ablation import METRICS
from tradepit.storage import Store

MAX_SAMPLE_FIGURES = 4
LOG_ROWS = 400
"""Decisions listed in the log (actions first; holds are only counted)."""
SCORE_HEADER = (
    "#", "competitor", "net return %", "return %", "vs B&H %", "Sharpe", "Sortino",
    "max DD %", "win %", "PF", "trades", "fees $", "tokens in", "tokens out", "cost $",
    "failures", "status",
)  # fmt: skip


def score_rows(board: SampleBoard) -> list[list]:
    rows = [
        [
            rank, s.name, s.net_return_pct, s.return_pct, s.excess_pct, s.sharpe, s.sortino,
            s.max_drawdown_pct, s.win_rate_pct, s.profit_factor, s.trades, s.fees,
            s.tokens_in, s.tokens_out, s.cost_usd, s.failures, s.status,
        ]
        for rank, s in enumerate(board.scores, start=1)
    ]  # fmt: skip
    b = board.benchmark
    rows.append(["-", b.name, b.net_return_pct, b.return_pct, 0.0, b.sharpe, b.sortino,
                 b.max_drawdown_pct, None, None, 0, 0.0, 0, 0, 0.0, 0, "benchmark"])  # fmt: skip
    return rows


def _figures(page: Page, curves: dict[str, pd.Series], title: str) -> None:
    equity, dd = go.Figure(), go.Figure()
    for name, curve in curves.items():
        line = {"dash": "dash", "color": "black"} if name == records.BENCHMARK else {}
        equity.add_trace(go.Scatter(x=curve.index, y=curve.values, name=name, line=line))
        values = 100 * drawdown(curve.to_numpy()) if len(curve) else []
        dd.add_trace(go.Scatter(x=curve.index, y=values, name=name, line=line))
    equity.update_layout(title=f"Equity: {title}", yaxis_title="equity ($)")
    dd.update_layout(title=f"Drawdown: {title}", yaxis_title="drawdown (%)")
    page.figure(equity, 480)
    page.figure(dd, 320)


def _costs(page: Page, board: SampleBoard) -> None:
    names = [s.name for s in board.scores]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=[s.trades for s in board.scores], name="trades"))
    fig.add_trace(go.Bar(x=names, y=[s.fees for s in board.scores], name="fees ($)"))
    fig.add_trace(go.Bar(x=names, y=[s.cost_usd for s in board.scores], name="inference ($)"))
    fig.update_layout(title="Trades, fees and inference cost per competitor", barmode="group")
    page.figure(fig, 380)


def _aggregate(page: Page, board: Leaderboard) -> None:
    page.heading(f"Over {len(board.samples)} samples: mean [95% bootstrap interval]")
    metrics = ("net_return_pct", "excess_pct", "sharpe", "max_drawdown_pct", "cost_usd")
    rows = []
    for a in board.aggregates:
        cells = []
        for m in metrics:
            e = a.estimates[m]
            interval = "" if e.low is None else f" [{e.low:.3g}, {e.high:.3g}]"
            cells.append("-" if e.mean is None else f"{e.mean:.4g}{interval}")
        rows.append([a.name, a.samples, *cells, a.versus_benchmark])
    header = ("competitor", "samples", "net return %", "vs B&H %", "Sharpe", "max DD %",
              "cost $", "vs buy & hold")  # fmt: skip
    page.table(header, rows)
    page.note(
        "vs buy & hold: 'beats' when the 95% interval of the paired difference (net return "
        "minus buy-and-hold, same sample) lies above 0, 'trails' when below."
    )


def _ablation(page: Page, board: Leaderboard) -> None:
    page.heading("Memory ablation: with memory - without, same windows")
    rows = []
    for report in board.ablation:
        for off, on in report.pairs:
            rows.append([report.model, off.unit, *(getattr(on, m) - getattr(off, m)
                         for m in METRICS), f"{off.trades} | {on.trades}"])  # fmt: skip
        cells = []
        for m in METRICS:
            d = report.differences[m]
            interval = "" if d.low is None else f" [{d.low:.3g}, {d.high:.3g}]"
            cells.append(f"{d.mean:.3g}{interval}{' *' if d.significant else ''}")
        rows.append([report.model, f"mean (n={report.differences[METRICS[0]].n})", *cells, ""])
    page.table(("model", "unit", "return %", "Sharpe", "max DD %", "trades without | with"), rows)
    page.note(
        "Each model ran as X (no memory) and X+memory in this battle. Mean rows: the mean "
        "paired difference with its 95% bootstrap interval over windows; * = the interval "
        "excludes 0."
    )


def _decision_log(page: Page, store: Store, board: Leaderboard) -> None:
    record = board.record
    sample = record.samples[0]
    page.heading(f"Decision log (sample {sample.sample}: orders, closes and aborts)")
    rows, holds = [], 0
    for c in record.competitors:
        run, _ = records.competitor_ids(record, sample.sample, c)
        for r in store.list_decisions(run):
            d = r.decision
            if d.action == "hold":
                holds += 1
                continue
            rows.append((d.timestamp, c.name, d.symbol or "", d.action, d.rationale[:240]))
    rows.sort(key=lambda r: (r[0], r[1]))
    shown = [(pd.Timestamp(t).isoformat(timespec="minutes"), *rest) for t, *rest in rows[:LOG_ROWS]]
    page.table(("time (model's clock)", "competitor", "symbol", "action", "rationale"), shown)
    more = f" ({len(rows) - LOG_ROWS} more not shown)" if len(rows) > LOG_ROWS else ""
    page.note(
        f"{len(rows)} action(s){more} and {holds} hold(s). Every decision, tool call, "
        f"result, verdict, order and fill: tradepit battle show {record.id} --competitor C"
    )


def battle_report(store: Store, board: Leaderboard, path: Path) -> Path:
    """Write the report of `board` to `path` (directories created); returns the path."""
    record = board.record
    config = record.config
    page = Page(board.label())
    window = f"{record.samples[0].start.date()} .. {record.samples[-1].end.date()}"
    page.note(
        f"{len(record.competitors)} competitors on {', '.join(config.symbols)}, {window}, "
        f"{config.cadence} ticks, capital {config.capital:,.0f}, commission "
        f"{100 * config.commission_pct:g}%, slippage {config.slippage_bps:g} bps"
        + (", blind (models saw neutral tickers, rebased prices, shifted dates)" * config.blind)
        + (f"; replay of {record.replay_of}" if record.replay_of else "")
        + ". Net return = return after fees and after inference cost."
    )
    if config.blind:  # the names change per sample: each sample's, or its decisions are opaque
        for sample in record.samples:
            if sample.blinding is not None:
                page.note(f"Blind names (sample {sample.sample}): {sample.blinding.names()}")
    if not board.complete:
        page.note(
            f"Incomplete: this battle is {record.run.status.value}; it recorded "
            + "; ".join(f"sample {b.sample}: {b.window()}" for b in board.samples)
            + ". Its scores cover only the recorded ticks."
        )
    first = board.samples[0]
    page.heading(f"Leaderboard (sample {first.sample}: {first.window()})")
    page.table(SCORE_HEADER, score_rows(first))
    if board.aggregates:
        _aggregate(page, board)
    if board.ablation:
        _ablation(page, board)
    for sample, b in list(zip(record.samples, board.samples, strict=True))[:MAX_SAMPLE_FIGURES]:
        page.heading(f"Sample {sample.sample}: {b.window()}")
        _figures(
            page, records.sample_curves(store, board.record, sample), f"sample {sample.sample}"
        )
        if sample.sample != first.sample:
            page.table(SCORE_HEADER, score_rows(b))
    _costs(page, first)
    _decision_log(page, store, board)
    return page.write(path)
