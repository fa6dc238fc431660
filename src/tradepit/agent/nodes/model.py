"""model: one call to the backend, recorded and charged to the budget.

Before the call the turn and run budgets are checked; after it the usage is charged and
checked again, so a reply that crosses a limit is not acted on (fail-closed). Backend
errors abort the turn with the error recorded: never a silent hold.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

from langgraph.runtime import Runtime

from tradepit.agent.backends.base import AssistantTurn
from tradepit.agent.budget import Budget, TurnUsage, new_usage
from tradepit.agent.errors import BudgetExceededError, ModelError, ModelOutputError
from tradepit.agent.nodes._common import aborted
from tradepit.agent.state import AgentContext, AgentState

log = logging.getLogger(__name__)


def model(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    deps = ctx.deps
    usage: TurnUsage = {**new_usage(), **(state.get("usage") or {})}
    budget = deps.budget or Budget()
    try:
        budget.check(usage)
    except BudgetExceededError as e:
        return {"outcome": aborted(e), "pending": []}
    messages = [{"role": "system", "content": state.get("system", "")}, *state["messages"]]
    seq = usage["calls"]
    usage["calls"] += 1
    seek = getattr(ctx.backend, "at", None)
    if callable(seek):  # positional backends (replay)
        seek(deps.cycle, seq)
    started = time.perf_counter()
    try:
        turn = ctx.backend.complete(messages, ctx.schemas)
        if not turn.text and not turn.tool_calls:
            raise ModelOutputError("the model replied with neither text nor tool calls")
    except ModelError as e:
        log.warning("model call failed: %s", e, extra={"run": deps.run_id, "cycle": deps.cycle})
        _record(ctx, seq, messages, error=e, latency_s=time.perf_counter() - started)
        return {"outcome": aborted(e), "pending": [], "usage": usage}
    if not turn.latency_s:
        turn = turn.model_copy(update={"latency_s": time.perf_counter() - started})
    _record(ctx, seq, messages, turn=turn)
    return _after_call(turn, usage, budget)


def _after_call(turn: AssistantTurn, usage: TurnUsage, budget: Budget) -> dict[str, Any]:
    usage["tokens"] += turn.usage.total
    usage["usd"] += turn.cost_usd
    budget.charge(turn.usage.total, turn.cost_usd)
    try:
        budget.check(usage)
        if turn.tool_calls:
            usage["rounds"] += 1
            budget.check_round(usage)
    except BudgetExceededError as e:
        return {"outcome": aborted(e), "pending": [], "usage": usage}
    update: dict[str, Any] = {"messages": [turn.to_message()], "usage": usage}
    if turn.tool_calls:
        update["pending"] = [c.model_dump() for c in turn.tool_calls]
    else:
        update["pending"] = []
        update["answer"] = turn.text
        update["outcome"] = {"status": "answered"}
    return update


def _record(ctx: AgentContext, seq: int, messages: list[dict[str, Any]], **what: Any) -> None:
    if ctx.recorder is not None:
        ctx.recorder.model_call(
            ctx.deps, thread_id=ctx.thread_id, seq=seq, messages=messages, schemas=ctx.schemas,
            **what,
        )  # fmt: skip


def after_model(state: AgentState) -> Literal["tools", "record"]:
    return "tools" if state.get("pending") else "record"
