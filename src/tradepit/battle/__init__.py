"""Battles: N model backends trading the same market side by side, fairly (one clock, one
frozen snapshot per tick, identical prompts and tools, separate paper accounts), openly
(every decision, tool call, verdict, order and fill recorded) and reproducibly (`replay`
re-runs a battle from its recorded model turns to the identical leaderboard).

    config = BattleConfig(models=("rules:supertrend", "rules:macd_rsi"), symbols=("SPX",),
                          start=..., end=...)
    board = run_battle(config, store)          # or BattleRunner(...).run()
    replay_battle(store, board.run_id).identical
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tradepit.battle.config import BattleConfig, Competitor
from tradepit.battle.leaderboard import Leaderboard, build_leaderboard
from tradepit.battle.replay import ReplayResult, replay_battle
from tradepit.battle.runner import BackendFactory, BattleRunner, Progress
from tradepit.clock import SystemClock
from tradepit.config import Settings
from tradepit.storage import Store

__all__ = [
    "BattleConfig",
    "BattleRunner",
    "Competitor",
    "Leaderboard",
    "Progress",
    "ReplayResult",
    "build_leaderboard",
    "new_run_id",
    "replay_battle",
    "run_battle",
]


def new_run_id(store: Store, prefix: str = "battle") -> str:
    """``<prefix>-YYYYMMDD-HHMMSS`` (wall clock), with a suffix when taken."""
    base = f"{prefix}-{SystemClock().now():%Y%m%d-%H%M%S}"
    run_id, n = base, 1
    while store.get_run(run_id) is not None:
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def run_battle(
    config: BattleConfig,
    store: Store,
    *,
    run_id: str | None = None,
    settings: Settings | None = None,
    backends: BackendFactory | None = None,
    on_tick: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
) -> Leaderboard:
    """Run and record a battle; returns its leaderboard (computed from the record). Setting
    `stop` ends it before the next tick (`battle.stop`)."""
    runner = BattleRunner(
        config,
        store,
        run_id or new_run_id(store),
        settings=settings,
        backends=backends,
        on_tick=on_tick,
        stop=stop,
    )
    return build_leaderboard(store, runner.run())
