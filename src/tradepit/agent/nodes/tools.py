"""tools: execute the model's tool calls through the registry, in order.

The calls of one model turn run in one step, except that a call needing approval starts a
step of its own: LangGraph re-runs an interrupted node from its start on resume, so
nothing may have run before the interrupt in that step (the approval check itself is
pure). In chat, an order
whose `approval_request` is not None pauses the graph (`interrupt`) until a person answers
``Command(resume={"approved": bool, "by": str, "note": str})``; a rejection is recorded and
told to the model. Malformed calls go back to the model as validation errors; past
`max_corrections` in a turn the turn aborts with ModelOutputError.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from tradepit.agent.backends.base import ToolCall
from tradepit.agent.budget import BudgetLimits, TurnUsage, new_usage
from tradepit.agent.errors import ModelOutputError
from tradepit.agent.nodes._common import aborted, is_aborted
from tradepit.agent.state import AgentContext, AgentState, Step
from tradepit.tools._turn_orders import TurnOrders
from tradepit.tools.registry import ApprovalRequest, ToolResult, approval_request, execute

MALFORMED = frozenset({"ValidationError", "MalformedArgumentsError", "UnknownToolError"})
"""Error types of calls the model got wrong (as opposed to errors of the world)."""


def tools(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    deps = ctx.deps
    deps.turn_orders = TurnOrders.of(state.get("steps") or ())  # the same after a resume
    pending = list(state.get("pending") or [])
    usage: TurnUsage = {**new_usage(), **(state.get("usage") or {})}
    limit = (deps.budget.limits if deps.budget else BudgetLimits()).max_corrections
    messages: list[dict[str, Any]] = []
    steps: list[Step] = []
    update: dict[str, Any] = {"messages": messages, "steps": steps, "usage": usage}
    done = 0
    for i, raw in enumerate(pending):
        call = ToolCall.model_validate(raw)
        request = approval_request(deps, ctx.tools, call)
        if request is not None and i > 0:
            break  # an approval pauses in a step of its own (see the module docstring)
        approval = ask_approval(request)
        if approval is not None and not approval["approved"]:
            result = rejected(call, approval)
        else:
            result = execute(deps, ctx.tools, call)
        messages.append(result.to_message())
        steps.append(step_of(call, result, approval))
        done = i + 1
        if result.error_type in MALFORMED:
            usage["corrections"] += 1
            if usage["corrections"] > limit:
                update["outcome"] = aborted(
                    ModelOutputError(
                        f"{usage['corrections']} malformed tool calls this turn (max {limit});"
                        f" last: {call.name}: {result.error}"
                    )
                )
                messages.extend(skipped(ToolCall.model_validate(c)) for c in pending[done:])
                done = len(pending)
                break
    update["pending"] = pending[done:]
    return update


def after_tools(state: AgentState) -> Literal["tools", "model", "record"]:
    if is_aborted(state):
        return "record"
    return "tools" if state.get("pending") else "model"


def ask_approval(request: ApprovalRequest | None) -> dict[str, Any] | None:
    """Pause for a person's answer (None when no approval is needed). Anything but an
    explicit approval counts as a rejection (fail-closed)."""
    if request is None:
        return None
    answer = interrupt(
        {
            "type": "approval",
            "call_id": request.call_id,
            "tool": request.tool,
            "summary": request.summary,
            "notional": str(request.notional),
            "request": request.request.model_dump(mode="json"),
            "verdict": request.verdict.model_dump(mode="json"),
        }
    )
    if isinstance(answer, bool):
        answer = {"approved": answer}
    if not isinstance(answer, dict):
        answer = {"approved": False, "note": f"unreadable answer {answer!r}"}
    return {
        "approved": answer.get("approved") is True,
        "by": str(answer.get("by") or "user"),
        "note": str(answer.get("note") or ""),
        "summary": request.summary,
    }


def rejected(call: ToolCall, approval: dict[str, Any]) -> ToolResult:
    note = f": {approval['note']}" if approval.get("note") else ""
    message = f"{approval['by']} rejected the order ({approval['summary']}){note}. Not sent."
    return ToolResult(
        call_id=call.id,
        name=call.name,
        ok=False,
        content=json.dumps({"error": "ApprovalRejected", "message": message}),
        error_type="ApprovalRejected",
        error=message,
    )


def skipped(call: ToolCall) -> dict[str, Any]:
    content = json.dumps({"error": "Skipped", "message": "not run: the turn was aborted"})
    return {"role": "tool", "tool_call_id": call.id, "content": content}


def step_of(call: ToolCall, result: ToolResult, approval: dict[str, Any] | None) -> Step:
    output = result.output or {}
    return Step(
        id=call.id,
        name=call.name,
        arguments=call.arguments,
        symbol=_symbol(call, output),
        ok=result.ok,
        error_type=result.error_type,
        error=result.error,
        output=result.output,
        verdict=result.verdict.model_dump(mode="json") if result.verdict else None,
        order=result.order.model_dump(mode="json") if result.order else None,
        approval=approval,
    )


def _symbol(call: ToolCall, output: dict[str, Any]) -> str | None:
    order = output.get("order")
    if isinstance(order, dict) and order.get("symbol"):
        return str(order["symbol"])
    if output.get("symbol"):
        return str(output["symbol"])
    try:
        args = json.loads(call.arguments or "{}")
    except ValueError:
        return None
    symbol = args.get("symbol") if isinstance(args, dict) else None
    return symbol.strip().upper() if isinstance(symbol, str) and symbol.strip() else None
