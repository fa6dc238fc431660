"""The last battle for the chat: its leaderboard (net of fees and inference cost) and the
equity curves of its competitors against buy-and-hold, read from the store through
`tradepit.battle` (the same numbers as `tradepit battle show` and the HTML report)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from tradepit.battle import build_leaderboard, records
from tradepit.battle.leaderboard import SampleBoard
from tradepit.chat_ui.render import table
from tradepit.storage import Store

NO_BATTLE = (
    "No battle has been run yet. Start one from the command line (`tradepit battle "
    "--models rules:supertrend,rules:macd_rsi --symbols SPX`), then ask me to show the last "
    "battle."
)
BENCHMARK = records.BENCHMARK


@dataclass(frozen=True)
class BattleView:
    markdown: str
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:+.2f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{x:,.{digits}f}"


def leaderboard_table(board: SampleBoard) -> str:
    rows = [
        (
            rank, s.name, s.model, _pct(s.net_return_pct), _pct(s.return_pct),
            _pct(s.excess_pct), _num(s.sharpe), _pct(s.max_drawdown_pct), s.trades,
            _num(s.fees), _num(s.cost_usd, 4), s.status,
        )
        for rank, s in enumerate(board.scores, start=1)
    ]  # fmt: skip
    b = board.benchmark
    rows.append(
        ("-", BENCHMARK, "", _pct(b.net_return_pct), _pct(b.return_pct), "", _num(b.sharpe),
         _pct(b.max_drawdown_pct), "", "", "", "benchmark")
    )  # fmt: skip
    headers = (
        "#", "Competitor", "Model", "Net return", "Return", "vs B&H", "Sharpe", "Max DD",
        "Trades", "Fees $", "Inference $", "Status",
    )  # fmt: skip
    return table(headers, rows)


def equity_figure(lines: dict[str, pd.Series], title: str) -> go.Figure:
    fig = go.Figure()
    for name, curve in lines.items():
        style = {"dash": "dot", "color": "grey"} if name == BENCHMARK else {}
        fig.add_trace(go.Scatter(x=curve.index, y=curve.values, name=name, line=style))
    fig.update_layout(
        title=title, yaxis_title="equity ($)", hovermode="x unified", height=420,
        margin={"t": 60, "b": 30},
    )  # fmt: skip
    return fig


def leaderboard_figure(board: SampleBoard) -> go.Figure:
    names = [s.name for s in board.scores]
    net = [s.net_return_pct for s in board.scores]
    fig = go.Figure(go.Bar(x=names, y=net, name="net return %", text=[_pct(v) for v in net]))
    fig.add_hline(
        y=board.benchmark.return_pct, line_dash="dot",
        annotation_text=f"{BENCHMARK} {_pct(board.benchmark.return_pct)}",
    )  # fmt: skip
    fig.update_layout(
        title="Leaderboard: net return after fees and inference", yaxis_title="%",
        height=360, margin={"t": 60, "b": 30},
    )  # fmt: skip
    return fig


def last_battle(store: Store) -> BattleView | None:
    """The most recently started battle in `store`, or None when there is none."""
    battles = records.list_battles(store)
    if not battles:
        return None
    board = build_leaderboard(store, battles[-1].id)
    record, config = board.record, board.record.config
    if not board.samples:
        return BattleView(f"Battle `{record.id}` ({record.run.status.value}) has no results yet.")
    first, sample = board.samples[0], record.samples[0]
    head = (
        f"**Battle `{record.id}`** ({record.run.status.value}): {len(record.competitors)} "
        f"competitors on {', '.join(config.symbols)}, {first.start.date()}..{first.end.date()}, "
        f"{first.ticks} {config.cadence} ticks, capital {config.capital:,.0f}. Net return is "
        "after fees and after inference cost."
    )
    parts = [head, leaderboard_table(first)]
    if board.aggregates:
        lines = [
            f"- {a.name}: mean net return {_pct(a.estimates['net_return_pct'].mean)} over "
            f"{a.samples} samples; vs buy & hold: {a.versus_benchmark}"
            for a in board.aggregates
        ]
        parts.append(f"Over {len(board.samples)} samples:\n" + "\n".join(lines))
    curves = records.sample_curves(store, record, sample)
    figures = [
        ("leaderboard", leaderboard_figure(first)),
        ("equity curves", equity_figure(curves, "Equity, sample 1")),
    ]
    return BattleView("\n\n".join(parts), figures)
