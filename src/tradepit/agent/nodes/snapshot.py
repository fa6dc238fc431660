"""snapshot: one frozen point-in-time view per tick, rendered into the decision prompt with
the memories most relevant to it (see `tradepit.agent.memory`)."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime

from tradepit.agent.memory import decision_memories
from tradepit.agent.nodes._common import aborted, is_aborted
from tradepit.agent.nodes.route import fresh_turn
from tradepit.agent.snapshot import MarketSnapshot, build_snapshot
from tradepit.agent.state import AgentContext, AgentState
from tradepit.domain.errors import TradepitError
from tradepit.prompts import decision_prompt, system_prompt


def snapshot(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Start the cycle (fresh per-turn fields, as `route` does for chat), build the
    snapshot (a battle passes the market part in and adds this competitor's portfolio) and
    the first message of the cycle. Missing data aborts the cycle."""
    deps = runtime.context.deps
    mode = state.get("mode", "cycle")
    turn = fresh_turn()
    try:
        given = state.get("snapshot")
        if given:
            snap = MarketSnapshot.model_validate(given).with_portfolio(deps)
        else:
            snap = build_snapshot(deps, deps.symbols)
        prompt = decision_prompt(snap, deps.symbols or None, decision_memories(deps, snap))
        assessed = snap.account.state.value if snap.account else None  # no second look
        system = system_prompt(deps, mode, assessed)
    except TradepitError as e:
        return {**turn, "outcome": aborted(e)}
    return {
        **turn,
        "snapshot": snap.model_dump(mode="json"),
        "system": system,
        "messages": [{"role": "user", "content": prompt}],
        "turn_start": len(state.get("messages") or []),
    }


def after_snapshot(state: AgentState) -> Literal["model", "record"]:
    return "record" if is_aborted(state) else "model"
