"""route: start a chat turn with fresh per-turn counters, the system prompt (with the
memories relevant to the message) and a bounded, well-formed conversation. Cycles and
battle ticks start at the snapshot node instead (`start`), with the same fresh counters."""

from __future__ import annotations

import json
from typing import Any, Literal

from langgraph.runtime import Runtime

from tradepit.agent.budget import new_usage
from tradepit.agent.memory import chat_memories
from tradepit.agent.state import AgentContext, AgentState, Message, replaced
from tradepit.prompts import system_prompt


def fresh_turn() -> dict[str, Any]:
    """The per-turn fields of a new turn (counters, steps, outcome, answer)."""
    return {
        "usage": new_usage(),
        "steps": replaced([]),
        "pending": [],
        "outcome": None,
        "answer": "",
    }


def start(state: AgentState) -> Literal["route", "snapshot"]:
    """Where a turn starts: chat at `route`; cycles and battle ticks at `snapshot`, which
    starts the turn itself (one superstep less per cycle)."""
    return "route" if state.get("mode", "chat") == "chat" else "snapshot"


def route(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    update = fresh_turn()
    if state.get("mode", "chat") == "chat":
        deps = runtime.context.deps
        history = state.get("messages") or []
        messages = trim_history(close_open_calls(history), runtime.context.history)
        if messages != history:
            update["messages"] = replaced(messages)
        update["turn_start"] = max(0, len(messages) - 1)
        text = str(messages[-1].get("content") or "") if messages else ""
        update["system"] = system_prompt(deps, "chat", memories=chat_memories(deps, text))
    return update


def after_route(state: AgentState) -> Literal["snapshot", "model"]:
    """Chat goes to the model; a cycle only passes here when resumed from a checkpoint of
    an older graph (which started every turn at route): on to its snapshot."""
    return "model" if state.get("mode", "chat") == "chat" else "snapshot"


def trim_history(messages: list[Message], keep: int) -> list[Message]:
    """The last `keep` messages or fewer, starting at a user message (so no tool result is
    separated from the assistant message that asked for it)."""
    if len(messages) <= keep:
        return list(messages)
    start = len(messages) - keep
    while start < len(messages) - 1 and messages[start].get("role") != "user":
        start += 1
    return list(messages[start:])


def close_open_calls(messages: list[Message]) -> list[Message]:
    """Answer tool calls a crashed turn left without results (providers refuse a
    conversation with unanswered calls): a "not run" result before the new message."""
    asked: list[str] = []
    answered: set[str] = set()
    for m in messages:
        asked.extend(c["id"] for c in m.get("tool_calls") or ())
        if m.get("role") == "tool":
            answered.add(m.get("tool_call_id", ""))
    missing = [i for i in asked if i not in answered]
    if not missing:
        return messages
    content = json.dumps({"error": "NotRun", "message": "not run: the turn was interrupted"})
    closing = [{"role": "tool", "tool_call_id": i, "content": content} for i in missing]
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    if last_user < 0:
        return [*messages, *closing]
    return [*messages[:last_user], *closing, *messages[last_user:]]
