"""`/tradepit battle`: the latest recorded battle's leaderboard, as a `BattleFinished` event
(so Slack shows it exactly like the battle-finished notification)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradepit.domain.errors import TradepitError
from tradepit.integrations.events import BattleFinished, LeaderboardRow

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from tradepit.storage import Store

log = logging.getLogger(__name__)


def _dec(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def leaderboard_event(board: Any, at: datetime) -> BattleFinished:
    """The ranked competitors of a battle's last sample (net of fees and inference)."""
    scores = board.samples[-1].scores if board.samples else ()
    rows = tuple(
        LeaderboardRow(
            rank=i,
            competitor=s.name,
            equity=_dec(s.end_equity).quantize(Decimal("0.01")),
            return_pct=_dec(s.net_return_pct) / 100,
            trades=s.trades,
            inference_cost=_dec(s.cost_usd).quantize(Decimal("0.0001")),
        )
        for i, s in enumerate(scores, start=1)
    )
    status = board.record.run.status.value
    label = board.run_id if status == "completed" else f"{board.run_id} ({status})"
    return BattleFinished(at=at, battle_id=label, rows=rows)


def latest_leaderboard(store: Store, now: Callable[[], datetime]) -> Callable[[], Any]:
    """A provider of the latest battle's leaderboard event (None when there is none)."""

    def board() -> BattleFinished | None:
        from tradepit.battle import build_leaderboard
        from tradepit.battle.records import list_battles

        runs = list_battles(store)  # competitor runs are battle-kind too: skip them
        if not runs:
            return None
        try:
            return leaderboard_event(build_leaderboard(store, runs[-1].id), now())
        except TradepitError as e:
            log.warning("no leaderboard for battle %s: %s", runs[-1].id, e)
            return None

    return board
