"""Helpers shared by the nodes."""

from __future__ import annotations

from tradepit.agent.state import AgentState, Outcome


def aborted(error: BaseException, reason: str | None = None) -> Outcome:
    """The outcome of a turn stopped by `error` (recorded; never turned into a hold)."""
    return Outcome(status="aborted", error_type=type(error).__name__, reason=reason or str(error))


def is_aborted(state: AgentState) -> bool:
    outcome = state.get("outcome")
    return bool(outcome) and outcome.get("status") == "aborted"
