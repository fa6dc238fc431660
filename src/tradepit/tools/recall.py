"""recall and remember: the agent's memory of past decisions, lessons and the user's notes.

Both need `deps.memory`, a `tradepit.memory.service.MemoryScope` (the memory bound to this
session's namespace); without one they fail with ToolUnavailableError. Recall is
point-in-time: it reads the memory as of `deps.clock.now()`.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from pydantic import Field

from tradepit.tools._common import iso, pct
from tradepit.tools.base import Tool, ToolInput, ToolOutput
from tradepit.tools.errors import ToolUnavailableError

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps
    from tradepit.memory.models import Recalled
    from tradepit.memory.service import MemoryScope

TEXT_CHARS = 400
"""Longer memories are shown cut to this many characters (marked with an ellipsis)."""


class RecallInput(ToolInput):
    query: str = Field(min_length=2, max_length=500, description="What to recall")
    symbol: str | None = Field(None, description="Ticker (general memories too)")
    k: int = Field(5, ge=1, le=10)


class MemoryItem(ToolOutput):
    time: str
    kind: str
    symbol: str | None = None
    text: str
    outcome: str | None = None
    """Realised and vs buy-and-hold return, once known; "pending" before."""
    score: float


class RecallOutput(ToolOutput):
    memories: list[MemoryItem]


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


def recall(deps: AgentDeps, args: RecallInput) -> RecallOutput:
    """Your memory: past decisions with their outcomes, lessons, the user's notes.
    Most relevant first."""
    hits = _scope(deps).recall(args.query, deps.clock.now(), args.symbol, args.k)
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
        ]
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
