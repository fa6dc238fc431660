"""The agent graph (wiring only; the nodes live in `agent.nodes`).

    START -> route -> (chat) model | (cycle, battle) snapshot -> model
    model -> tools (while the model asks for tools) -> model ... -> record -> respond -> END

Aborts (budget, model errors, too many malformed calls, missing data) go straight to
record. Dependencies come in as the runtime context (`AgentContext`), never as state.
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from tradepit.agent.nodes.model import after_model, model
from tradepit.agent.nodes.record import record, respond
from tradepit.agent.nodes.route import after_route, route
from tradepit.agent.nodes.snapshot import after_snapshot, snapshot
from tradepit.agent.nodes.tools import after_tools, tools
from tradepit.agent.state import AgentContext, AgentState

AgentGraph = CompiledStateGraph


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> AgentGraph:
    """The compiled graph; pass a checkpointer for conversations, resumes and approvals."""
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("route", route)
    graph.add_node("snapshot", snapshot)
    graph.add_node("model", model)
    graph.add_node("tools", tools)
    graph.add_node("record", record)
    graph.add_node("respond", respond)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", after_route, ["snapshot", "model"])
    graph.add_conditional_edges("snapshot", after_snapshot, ["model", "record"])
    graph.add_conditional_edges("model", after_model, ["tools", "record"])
    graph.add_conditional_edges("tools", after_tools, ["tools", "model", "record"])
    graph.add_edge("record", "respond")
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer)
