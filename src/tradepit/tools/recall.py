"""recall and remember: the agent's memory of past decisions, lessons and the user's notes.

Both need `deps.memory`, a `tradepit.memory.service.MemoryScope` (the memory bound to this
session's namespace); without one they fail with ToolUnavailableError. Recall is
point-in-time: it reads the memory as of `deps.clock.now()`.

With a symbol the feed knows, recall also reports how the past setups most like that
symbol's situation now turned out: the `SETUPS_K` nearest situation vectors (see
`tradepit.memory.situation`) within `SETUP_RADIUS`, each with the price move over its
horizon. That is what the memory-aware rules model (`rules:<strategy>+recall`) trades on.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import Field

from tradepit.memory.situation import HISTORY_BARS, Situation
from tradepit.tools._common import is_known, iso, pct, recent_bars
from tradepit.tools.base import Tool, ToolInput, ToolOutput
from tradepit.tools.errors import ToolUnavailableError

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps
    from tradepit.memory.models import Recalled, Setup
    from tradepit.memory.service import MemoryScope

TEXT_CHARS = 400
"""Longer memories are shown cut to this many characters (marked with an ellipsis)."""
SETUPS_K = 10
"""Past setups consulted per recall with a symbol."""
SETUP_RADIUS = 1.0
"""Largest Euclidean distance between situation vectors for a past setup to count as
similar (each feature is in [-1, 1]; an opposite Supertrend alone is 2 apart)."""
NEAREST_SHOWN = 3


class RecallInput(ToolInput):
    query: str = Field(min_length=2, max_length=500)
    symbol: str | None = None
    k: int = Field(5, ge=1, le=10)


class MemoryItem(ToolOutput):
    time: str
    kind: str
    symbol: str | None = None
    text: str
    outcome: str | None = None
    """Realised and vs buy-and-hold return, once known; "pending" before."""
    score: float


class SetupItem(ToolOutput):
    time: str
    symbol: str | None = None
    action: str
    distance: float
    move_pct: float
    """The symbol's price move over the decision's horizon."""


class SetupStats(ToolOutput):
    """Past setups similar to the symbol's situation now, with outcomes known by now."""

    n: int
    up: int
    """Setups after which the price rose over the horizon (a long entry would have won)."""
    down: int
    mean_move_pct: float | None = None
    nearest: list[SetupItem]


class RecallOutput(ToolOutput):
    memories: list[MemoryItem]
    setups: SetupStats | None = None


class RememberInput(ToolInput):
    text: str = Field(min_length=3, max_length=1000)
    symbol: str | None = None


class RememberOutput(ToolOutput):
    stored: bool
    duplicate: bool
    """True when an equivalent note already existed (it is kept; nothing new was added)."""


def _scope(deps: AgentDeps) -> MemoryScope:
    scope = getattr(deps, "memory", None)
    if scope is None:
        raise ToolUnavailableError("no memory in this session")
    return scope


def _outcome(hit: Recalled) -> str | None:
    entry = hit.entry
    if entry.kind != "decision":
        return None
    if entry.outcome is None:
        return "pending"
    o = entry.outcome
    return (
        f"{pct(o.realised_return):+.2f}% realised, {pct(o.excess_return):+.2f}% vs buy-and-hold "
        f"over {o.horizon_days:.0f}d"
    )


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1].rstrip() + "…"


def situation_now(deps: AgentDeps, symbol: str, position: float = 0) -> Situation:
    """`symbol`'s situation on its last completed daily bar at `deps.clock.now()` (the same
    computation when a decision is journalled and when similar setups are looked up)."""
    return Situation.from_bars(symbol, recent_bars(deps, symbol, "1Day", HISTORY_BARS), position)


def move(setup: Setup) -> float:
    """The price move over a past setup's horizon (buy-and-hold = realised - excess)."""
    return setup.realised_return - setup.excess_return


def similar_setups(scope: MemoryScope, situation: Situation, as_of: datetime) -> list[Setup]:
    """The `SETUPS_K` nearest past setups within `SETUP_RADIUS`, resolved by `as_of`.
    (chromadb's l2 space returns squared distances; they are made Euclidean here.)"""
    found = scope.similar_setups(situation.vector(), as_of, k=SETUPS_K)
    near = [s.model_copy(update={"distance": math.sqrt(max(s.distance, 0.0))}) for s in found]
    return [s for s in near if s.distance <= SETUP_RADIUS]


def _setups(deps: AgentDeps, scope: MemoryScope, symbol: str | None) -> SetupStats | None:
    name = symbol.strip().upper() if symbol else ""
    if not name or not is_known(deps, name):
        return None
    try:
        situation = situation_now(deps, name)
    except ValueError:  # no completed bars yet
        return None
    found = similar_setups(scope, situation, deps.clock.now())
    moves = [move(s) for s in found]
    return SetupStats(
        n=len(found),
        up=sum(m > 0 for m in moves),
        down=sum(m < 0 for m in moves),
        mean_move_pct=pct(sum(moves) / len(moves)) if moves else None,
        nearest=[
            SetupItem(
                time=iso(s.created_at),
                symbol=s.symbol,
                action=s.action,
                distance=round(s.distance, 3),
                move_pct=pct(move(s)) or 0.0,
            )
            for s in found[:NEAREST_SHOWN]
        ],
    )


def recall(deps: AgentDeps, args: RecallInput) -> RecallOutput:
    """Past decisions with outcomes, lessons and the user's notes, most relevant first;
    with a symbol, also how similar past setups turned out."""
    scope = _scope(deps)
    hits = scope.recall(args.query, deps.clock.now(), args.symbol, args.k)
    return RecallOutput(
        memories=[
            MemoryItem(
                time=iso(h.entry.created_at),
                kind=h.entry.kind.value,
                symbol=h.entry.symbol,
                text=_cut(h.entry.text),
                outcome=_outcome(h),
                score=round(h.score, 3),
            )
            for h in hits
        ],
        setups=_setups(deps, scope, args.symbol),
    )


def remember(deps: AgentDeps, args: RememberInput) -> RememberOutput:
    """Save a note or preference the user stated, for later conversations."""
    from tradepit.memory.journal import entry_id
    from tradepit.memory.models import Kind

    scope, now = _scope(deps), deps.clock.now().astimezone(UTC)
    entry = scope.remember(args.text, now, symbol=args.symbol)
    symbol = args.symbol.strip().upper() if args.symbol else None
    new_id = entry_id(scope.namespace, Kind.NOTE, symbol, now, args.text)
    return RememberOutput(stored=True, duplicate=entry.id != new_id)


TOOL = Tool("recall", RecallInput, RecallOutput, recall)
REMEMBER_TOOL = Tool("remember", RememberInput, RememberOutput, remember)
