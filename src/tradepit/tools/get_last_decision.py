"""get_last_decision: the most recent recorded trading decision and its rationale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from tradepit.tools._common import iso
from tradepit.tools.base import Tool, ToolInput, ToolOutput
from tradepit.tools.errors import ToolUnavailableError

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps

MAX_TOOL_CALLS = 8


class GetLastDecisionInput(ToolInput):
    symbol: str | None = Field(None, description="Only decisions on this ticker")


class GetLastDecisionOutput(ToolOutput):
    found: bool
    run_id: str | None = None
    cycle: int | None = None
    symbol: str | None = None
    action: str | None = None
    rationale: str | None = None
    backend: str | None = None
    time: str | None = None
    tool_calls: list[str] = Field(default_factory=list)


def _tool_calls(payload: dict[str, Any]) -> list[str]:
    calls = payload.get("tool_calls") or []
    names = [c.get("name", "?") if isinstance(c, dict) else str(c) for c in calls]
    return names[:MAX_TOOL_CALLS]


def get_last_decision(deps: AgentDeps, args: GetLastDecisionInput) -> GetLastDecisionOutput:
    """The latest recorded trading decision (this run first): action, rationale, backend
    and tools used."""
    if deps.store is None:
        raise ToolUnavailableError("no decision journal in this session")
    wanted = args.symbol.strip().upper() if args.symbol else None
    runs = [deps.run_id, *(r.id for r in reversed(deps.store.list_runs()) if r.id != deps.run_id)]
    for run_id in runs:
        records = [
            r
            for r in deps.store.list_decisions(run_id)
            if wanted is None or r.decision.symbol == wanted
        ]
        if records:
            d, payload = records[-1].decision, records[-1].payload
            return GetLastDecisionOutput(
                found=True,
                run_id=d.run_id,
                cycle=d.cycle,
                symbol=d.symbol,
                action=d.action,
                rationale=d.rationale,
                backend=d.backend,
                time=iso(d.timestamp),
                tool_calls=_tool_calls(payload),
            )
    return GetLastDecisionOutput(found=False)


TOOL = Tool("get_last_decision", GetLastDecisionInput, GetLastDecisionOutput, get_last_decision)
