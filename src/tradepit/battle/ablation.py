"""Memory ablation as a battle: each model with and without memory on the same windows.

`ablation_models` turns ``X,Y`` into ``X, X+memory, Y, Y+memory`` (``tradepit battle
--memory-ablation``): both arms of a model trade in the same battle, on the same ticks,
snapshots and fills rules, each with its own account. `memory_ablation` pairs every
competitor ``X`` of a battle with a competitor ``X+memory`` and summarises the paired
differences (with - without) of return, Sharpe and max drawdown over the samples (one unit
per window; `tradepit.memory.ablation.compare`: mean and 95 % bootstrap interval). Every
leaderboard with such pairs carries it (`Leaderboard.ablation`).

`run_ablation` runs those battles for ``tradepit memory ablation``: one battle over all the
symbols (one account trades them all), or one battle per symbol (`per_symbol`), whose units
are (window, symbol) and whose bootstrap resamples whole windows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradepit.battle.config import BattleConfig, Competitor, with_memory, without_memory
from tradepit.memory.ablation import AblationReport, ArmResult, compare, pairs_from_leaderboard

if TYPE_CHECKING:
    from tradepit.battle.leaderboard import Leaderboard
    from tradepit.config import Settings
    from tradepit.storage import Store


def ablation_models(models: Sequence[str]) -> tuple[str, ...]:
    """Each model without and with memory (``X``, ``X+memory``), in the given order."""
    out: list[str] = []
    for model in models:
        base = without_memory(model)
        out.extend(s for s in (base, with_memory(base)) if s not in out)
    return tuple(out)


def memory_pairs(competitors: Sequence[Competitor]) -> list[tuple[Competitor, Competitor]]:
    """(without, with memory): each competitor without memory and the first competitor not
    yet paired that runs the same spec with ``+memory``."""
    free = [c for c in competitors if c.memory]
    pairs = []
    for c in competitors:
        if c.memory:
            continue
        match = next((m for m in free if without_memory(m.model) == c.model), None)
        if match is not None:
            free.remove(match)
            pairs.append((c, match))
    return pairs


def arm_pairs(board: Leaderboard, label: str = "") -> dict[str, list[tuple[ArmResult, ArmResult]]]:
    """The paired arms of every model of a battle, by the name of its arm without memory."""
    return {
        off.name: pairs_from_leaderboard(board, off.index, on.index, label)
        for off, on in memory_pairs(board.record.competitors)
    }


def memory_ablation(board: Leaderboard) -> tuple[AblationReport, ...]:
    """The ablation report of every model a battle ran with and without memory."""
    seed = board.record.config.seed
    return tuple(compare(name, pairs, seed) for name, pairs in arm_pairs(board).items())


@dataclass(frozen=True)
class AblationRun:
    """The battles of an ablation and its reports (one per model)."""

    battles: tuple[Leaderboard, ...]
    reports: tuple[AblationReport, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "battles": [b.run_id for b in self.battles],
            "memory_ablation": [r.to_dict() for r in self.reports],
        }


def _part(symbol: str) -> str:
    return re.sub(r"[^A-Za-z0-9_+-]+", "_", symbol)


def run_ablation(
    config: BattleConfig,
    store: Store,
    settings: Settings,
    run_id: str,
    *,
    per_symbol: bool = True,
    on_battle: Callable[[Leaderboard], None] | None = None,
    **options: Any,
) -> AblationRun:
    """Run `config`'s models with and without memory: one battle `run_id`, or with
    `per_symbol` one battle ``<run_id>-<symbol>`` per symbol. `options` go to `run_battle`."""
    from tradepit.battle import run_battle

    base = config.model_dump()
    base["models"] = ablation_models(config.models)
    if per_symbol:
        plans = [
            (f"{run_id}-{_part(s)}"[:48], s, {**base, "symbols": (s,),
             "data": {k: v for k, v in config.data.items() if k == s}})
            for s in config.symbols
        ]  # fmt: skip
    else:
        plans = [(run_id, "", base)]
    boards, pairs = [], {}
    for battle_id, label, values in plans:
        board = run_battle(
            BattleConfig.model_validate(values), store, run_id=battle_id, settings=settings,
            **options,
        )  # fmt: skip
        boards.append(board)
        for name, found in arm_pairs(board, label).items():
            pairs.setdefault(name, []).extend(found)
        if on_battle is not None:
            on_battle(board)
    reports = tuple(compare(name, found, config.seed) for name, found in pairs.items())
    return AblationRun(tuple(boards), reports)
