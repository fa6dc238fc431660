"""`/tradepit battle`: the latest recorded battle's leaderboard, as a `BattleFinished` event
(so Slack shows it exactly like the battle-finished notification), with the equity curves
of its first sample for the chart."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from tradepit.domain.errors import TradepitError
from tradepit.domain.models import exact_decimal
from tradepit.integrations.events import BattleFinished, LeaderboardRow

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from tradepit.storage import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BattleBoard:
    """A battle's leaderboard event and the equity curves behind it."""

    event: BattleFinished
    curves: dict[str, pd.Series] = field(default_factory=dict)
    """Sample 1: each competitor's equity and the buy-and-hold benchmark's (named
    `battle.records.BENCHMARK`)."""
    samples: int = 1


def leaderboard_event(board: Any, at: datetime) -> BattleFinished:
    """The ranked competitors of a battle's last sample (net of fees and inference)."""
    scores = board.samples[-1].scores if board.samples else ()
    rows = tuple(
        LeaderboardRow(
            rank=i,
            competitor=s.name,
            equity=exact_decimal(s.end_equity).quantize(Decimal("0.01")),
            return_pct=exact_decimal(s.net_return_pct) / 100,
            trades=s.trades,
            inference_cost=exact_decimal(s.cost_usd).quantize(Decimal("0.0001")),
        )
        for i, s in enumerate(scores, start=1)
    )
    status = board.record.run.status.value
    label = board.run_id if status == "completed" else f"{board.run_id} ({status})"
    return BattleFinished(at=at, battle_id=label, rows=rows)


def battle_curves(store: Store, board: Any) -> dict[str, pd.Series]:
    """Equity of every competitor in the battle's first sample, and of buy and hold (as the
    chat's battle view and the HTML report draw them)."""
    from tradepit.battle import records

    record = board.record
    return records.sample_curves(store, record, record.samples[0]) if record.samples else {}


def latest_leaderboard(store: Store, now: Callable[[], datetime]) -> Callable[[], Any]:
    """A provider of the latest battle's `BattleBoard` (None when there is none)."""

    def board() -> BattleBoard | None:
        from tradepit.battle import build_leaderboard
        from tradepit.battle.records import list_battles

        runs = list_battles(store)  # competitor runs are battle-kind too: skip them
        if not runs:
            return None
        try:
            built = build_leaderboard(store, runs[-1].id)
            event = leaderboard_event(built, now())
            return BattleBoard(event, battle_curves(store, built), len(built.samples))
        except TradepitError as e:
            log.warning("no leaderboard for battle %s: %s", runs[-1].id, e)
            return None

    return board
