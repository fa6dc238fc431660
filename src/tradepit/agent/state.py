"""The graph's state (checkpointed: JSON-friendly values only) and its runtime context
(injected per invocation, never checkpointed and never shown to the model)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict

from tradepit.agent.budget import TurnUsage

if TYPE_CHECKING:
    from tradepit.agent.backends.base import ModelBackend
    from tradepit.agent.deps import AgentDeps
    from tradepit.agent.recording import Recorder
    from tradepit.tools.base import Tool

REPLACE = "__replace__"
Message = dict[str, Any]
"""An OpenAI-format chat message (role, content, tool_calls / tool_call_id)."""


def extend(left: list[Any] | None, right: list[Any] | dict[str, list[Any]] | None) -> list[Any]:
    """Reducer: append `right`; ``{"__replace__": items}`` replaces the list instead."""
    if right is None:
        return list(left or [])
    if isinstance(right, dict):
        return list(right[REPLACE])
    return [*(left or []), *right]


def replaced(items: list[Any]) -> dict[str, list[Any]]:
    """An update that replaces a list field reduced by `extend`."""
    return {REPLACE: list(items)}


class Outcome(TypedDict, total=False):
    status: Literal["answered", "aborted"]
    error_type: str
    reason: str


class Step(TypedDict, total=False):
    """One executed (or refused) tool call, as recorded in the decision's payload."""

    id: str
    name: str
    arguments: str
    symbol: str | None
    ok: bool
    error_type: str | None
    error: str | None
    output: dict[str, Any] | None
    verdict: dict[str, Any] | None
    order: dict[str, Any] | None
    approval: dict[str, Any] | None


class AgentState(TypedDict, total=False):
    mode: Literal["chat", "cycle", "battle"]
    cycle: int
    """Cycle number (runs) or turn number (chat): part of every client_order_id."""
    tick: str
    """ISO time of the tick or of the chat message."""
    system: str
    messages: Annotated[list[Message], extend]
    turn_start: int
    """Index in `messages` where the current turn starts."""
    pending: list[dict[str, Any]]
    """Tool calls of the last model turn still to execute (ToolCall dumps)."""
    snapshot: dict[str, Any] | None
    fills: list[dict[str, Any]]
    """Fills delivered with the tick (orders of earlier cycles), for the record."""
    usage: TurnUsage
    steps: Annotated[list[Step], extend]
    outcome: Outcome | None
    answer: str


@dataclass
class AgentContext:
    """Runtime context of one invocation (LangGraph `context=`): dependencies, the model
    backend, the tools and the recorder. Never part of the state or of a schema."""

    deps: AgentDeps
    backend: ModelBackend
    tools: Mapping[str, Tool]
    schemas: list[dict[str, Any]]
    """OpenAI-format schemas of `tools`, computed once."""
    recorder: Recorder | None = None
    thread_id: str = ""
    history: int = 40
    """Chat messages kept in the conversation (older turns are dropped whole)."""
