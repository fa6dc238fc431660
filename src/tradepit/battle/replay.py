"""`battle replay RUN`: the same battle again, offline, every competitor answering with its
own recorded model turns (the `replay` backend), then both leaderboards compared metric by
metric. Same config, same data, same budgets, same turns: the leaderboard must be
identical, bit for bit (`ReplayResult.identical`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from tradepit.agent.backends.base import ModelBackend
from tradepit.agent.backends.replay import ReplayBackend
from tradepit.agent.budget import BudgetLimits
from tradepit.battle import config as ids
from tradepit.battle.config import Competitor
from tradepit.battle.leaderboard import Leaderboard, build_leaderboard, differences
from tradepit.battle.records import list_battles, load_battle
from tradepit.battle.runner import BattleRunner, Progress
from tradepit.config import Settings
from tradepit.storage import Store


@dataclass(frozen=True)
class ReplayResult:
    original: Leaderboard
    replay: Leaderboard
    differences: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return not self.differences


def replay_id(store: Store, run_id: str) -> str:
    """``<run>-r<n>``, the first n not taken."""
    taken = {r.id for r in list_battles(store)}
    n = 1
    while f"{run_id}-r{n}" in taken:
        n += 1
    return ids.check_run_id(f"{run_id}-r{n}"[:48])


def replay_battle(
    store: Store,
    run_id: str,
    *,
    new_id: str | None = None,
    settings: Settings | None = None,
    on_tick: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
) -> ReplayResult:
    """Re-run battle `run_id` from its recorded model turns and compare the leaderboards."""
    record = load_battle(store, run_id)
    original = record.replay_of or run_id

    def backend(competitor: Competitor, sample: int) -> ModelBackend:
        recorded = ids.competitor_run(record.id, sample, competitor.index)
        calls = store.list_model_calls(recorded)
        return ReplayBackend(recorded, calls)

    runner = BattleRunner(
        record.config,
        store,
        new_id or replay_id(store, run_id),
        settings=settings,
        backends=backend,
        on_tick=on_tick,
        limits=BudgetLimits(**record.limits),
        replay_of=original,
        stop=stop,
    )
    replayed = runner.run()
    before = build_leaderboard(store, run_id)
    after = build_leaderboard(store, replayed)
    return ReplayResult(before, after, tuple(differences(before, after)))
