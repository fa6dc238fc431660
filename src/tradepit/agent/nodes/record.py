"""record and respond: journal the turn's decisions, then give the answer (chat: in the
`respond` step; cycles and battle ticks: in the `record` step)."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.graph import END
from langgraph.runtime import Runtime

from tradepit.agent.memory import remember_turn
from tradepit.agent.state import AgentContext, AgentState


def record(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Decision, rationale, tool calls, verdicts, orders and fills go to the journal; in
    cycles and battles, the decisions also go to the memory (and due outcomes are scored)
    and the turn ends here with the answer (`respond`'s, one superstep less per cycle)."""
    ctx = runtime.context
    if ctx.recorder is not None:
        ctx.recorder.decisions(ctx.deps, state, ctx.thread_id)
    remember_turn(ctx.deps, state)
    return {} if _is_chat(state) else respond(state)


def after_record(state: AgentState) -> Literal["respond", "__end__"]:
    """Chat answers in a step of its own (front ends stream the `respond` update)."""
    return "respond" if _is_chat(state) else END


def respond(state: AgentState) -> dict[str, Any]:
    """The text for the user: the model's answer, or why the turn stopped."""
    outcome = state.get("outcome") or {}
    if outcome.get("status") == "aborted":
        reason = f"{outcome.get('error_type', 'Error')}: {outcome.get('reason', '')}"
        return {"answer": f"Stopped without finishing: {reason}"}
    return {"answer": state.get("answer", "")}


def _is_chat(state: AgentState) -> bool:
    return state.get("mode", "chat") == "chat"
