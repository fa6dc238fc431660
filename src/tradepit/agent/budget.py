"""Budgets: tool rounds per turn, tokens and dollars per cycle and per run (a chat session
counts as a run, a chat turn as a cycle).

Per-turn usage (tokens, dollars, rounds, corrections) lives in the checkpointed graph state,
so a resumed cycle keeps counting; run totals live here, seeded from the recorded model
calls when a service starts. Exceeding a limit raises `BudgetExceededError`: the caller
aborts fail-closed (nothing the over-budget reply asked for is executed) and records why.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from tradepit.agent.errors import BudgetExceededError

if TYPE_CHECKING:
    from tradepit.config import Settings


class TurnUsage(TypedDict):
    """What one chat turn or cycle has used so far (part of the graph state)."""

    tokens: int
    usd: float
    rounds: int
    corrections: int
    calls: int


def new_usage() -> TurnUsage:
    return TurnUsage(tokens=0, usd=0.0, rounds=0, corrections=0, calls=0)


@dataclass(frozen=True)
class BudgetLimits:
    max_tool_rounds: int = 8
    max_corrections: int = 2
    max_tokens_per_cycle: int = 60_000
    max_usd_per_cycle: float = 0.5
    max_tokens_per_run: int = 2_000_000
    max_usd_per_run: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> BudgetLimits:
        return cls(
            max_tool_rounds=settings.max_tool_rounds,
            max_corrections=settings.max_corrections,
            max_tokens_per_cycle=settings.max_tokens_per_cycle,
            max_usd_per_cycle=settings.max_usd_per_cycle,
            max_tokens_per_run=settings.max_tokens_per_run,
            max_usd_per_run=settings.max_usd_per_run,
        )


class Budget:
    """Limits plus the run's running totals (thread-safe: battle competitors share none,
    but a service may serve several threads of one run)."""

    def __init__(
        self, limits: BudgetLimits | None = None, run_tokens: int = 0, run_usd: float = 0.0
    ) -> None:
        self.limits = limits or BudgetLimits()
        self.run_tokens = run_tokens
        self.run_usd = run_usd
        self._lock = threading.Lock()

    def charge(self, tokens: int, usd: float) -> None:
        """Add one model call to the run totals."""
        with self._lock:
            self.run_tokens += tokens
            self.run_usd += usd

    def check(self, usage: TurnUsage) -> None:
        """Raise BudgetExceededError when the turn or the run is over a token/dollar limit."""
        lim = self.limits
        with self._lock:
            run_tokens, run_usd = self.run_tokens, self.run_usd
        _over("tokens per cycle", usage["tokens"], lim.max_tokens_per_cycle)
        _over("dollars per cycle", usage["usd"], lim.max_usd_per_cycle)
        _over("tokens per run", run_tokens, lim.max_tokens_per_run)
        _over("dollars per run", run_usd, lim.max_usd_per_run)

    def check_round(self, usage: TurnUsage) -> None:
        """Raise when the model asks for one more tool round than allowed."""
        _over("tool rounds per turn", usage["rounds"], self.limits.max_tool_rounds)


def _over(what: str, used: float, limit: float) -> None:
    if used > limit:
        raise BudgetExceededError(what, used, limit)
