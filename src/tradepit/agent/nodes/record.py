"""record and respond: journal the turn's decisions, then give the answer."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from tradepit.agent.memory import remember_turn
from tradepit.agent.state import AgentContext, AgentState


def record(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Decision, rationale, tool calls, verdicts, orders and fills go to the journal; in
    cycles and battles, the decisions also go to the memory (and due outcomes are scored)."""
    ctx = runtime.context
    if ctx.recorder is not None:
        ctx.recorder.decisions(ctx.deps, state, ctx.thread_id)
    remember_turn(ctx.deps, state)
    return {}


def respond(state: AgentState) -> dict[str, Any]:
    """The text for the user: the model's answer, or why the turn stopped."""
    outcome = state.get("outcome") or {}
    if outcome.get("status") == "aborted":
        reason = f"{outcome.get('error_type', 'Error')}: {outcome.get('reason', '')}"
        return {"answer": f"Stopped without finishing: {reason}"}
    return {"answer": state.get("answer", "")}
