"""The agent graph (wiring only; the nodes live in `agent.nodes`).

    START -> (chat) route -> model | (cycle, battle) snapshot -> model
    model -> tools (while the model asks for tools) -> model ... -> record
    record -> (chat) respond -> END | (cycle, battle) END (record gives the answer)

Aborts (budget, model errors, too many malformed calls, missing data) go straight to
record. Dependencies come in as the runtime context (`AgentContext`), never as state.

Every superstep costs LangGraph's bookkeeping, so cycles skip the chat-only steps, and a
node's successor travels with its update (`Command`) instead of a conditional edge, which
would copy every channel to read the state again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from tradepit.agent.nodes.model import after_model, model
from tradepit.agent.nodes.record import after_record, record, respond
from tradepit.agent.nodes.route import after_route, route, start
from tradepit.agent.nodes.snapshot import after_snapshot, snapshot
from tradepit.agent.nodes.tools import after_tools, tools
from tradepit.agent.state import AgentContext, AgentState

AgentGraph = CompiledStateGraph
Node = Callable[[AgentState, Runtime[AgentContext]], dict[str, Any]]


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> AgentGraph:
    """The compiled graph; pass a checkpointer for conversations, resumes and approvals."""
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("route", then(route, after_route), destinations=("model", "snapshot"))
    graph.add_node("snapshot", then(snapshot, after_snapshot), destinations=("model", "record"))
    graph.add_node("model", then(model, after_model), destinations=("tools", "record"))
    graph.add_node("tools", then(tools, after_tools), destinations=("tools", "model", "record"))
    graph.add_node("record", then(record, after_record), destinations=("respond", END))
    graph.add_node("respond", respond)
    graph.add_conditional_edges(START, start, ["route", "snapshot"])
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer)


def then(node: Node, after: Callable[[AgentState], str]) -> Callable[..., Command]:
    """`node`, then the node `after` picks from the state with the node's update applied.
    `after` reads plain fields only (mode, pending, outcome: no reduced list)."""

    def run(state: AgentState, runtime: Runtime[AgentContext]) -> Command:
        update = node(state, runtime)
        return Command(update=update, goto=after({**state, **update}))  # type: ignore[typeddict-item]

    run.__name__ = run.__qualname__ = node.__name__
    run.__doc__ = node.__doc__
    return run
