"""The recall and remember tools (not registered by default yet) through registry.execute."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from tests.unit.memory.conftest import T0, day, situation

from tradepit.agent.backends.base import ToolCall
from tradepit.bootstrap import build_feed
from tradepit.clock import ReplayClock
from tradepit.tools import recall
from tradepit.tools.registry import execute, input_schema, tools_by_name

TOOLS = tools_by_name([recall.TOOL, recall.REMEMBER_TOOL])


def run(deps, name: str, **arguments) -> dict:
    result = execute(deps, TOOLS, ToolCall(id="c1", name=name, arguments=json.dumps(arguments)))
    return json.loads(result.content)


@pytest.fixture
def deps(memory):
    """Only what the memory tools read: the scoped memory, the clock and the market."""
    clock = ReplayClock(T0)
    scope = memory.scope("user:alice")
    return SimpleNamespace(memory=scope, clock=clock, market=build_feed(clock), run_id="t")


def test_recall_returns_memories_with_outcomes_as_of_the_clock(deps, memory):
    memory.record_decision("user:alice", situation(price=100.0), "buy", T0, rationale="breakout")
    memory.resolve_outcomes(day(7), lambda s, w: 104.0)
    deps.clock.advance_to(day(3))
    early = run(deps, "recall", query="MSFT breakout", symbol="MSFT")["memories"]
    assert [(m["kind"], m["outcome"]) for m in early] == [("decision", "pending")]
    deps.clock.advance_to(day(8))
    later = {m["kind"]: m for m in run(deps, "recall", query="MSFT breakout", k=3)["memories"]}
    assert later["decision"]["outcome"] == "+4.00% realised, +0.00% vs buy-and-hold over 7d"
    assert later["lesson"]["time"] == "2015-03-09T14:30Z"


def test_remember_stores_a_note_once(deps, memory):
    first = run(deps, "remember", text="Never hold more than 3 tech stocks.")
    assert first == {"stored": True, "duplicate": False}
    deps.clock.advance_to(T0 + timedelta(hours=1))
    again = run(deps, "remember", text="never hold more than 3 tech stocks")
    assert again == {"stored": True, "duplicate": True}
    (note,) = run(deps, "recall", query="how many tech stocks")["memories"]
    assert note["kind"] == "note" and "outcome" not in note


def test_long_texts_are_cut_for_the_model(deps, memory):
    memory.remember("user:alice", "word " * 200, T0)
    (m,) = run(deps, "recall", query="word")["memories"]
    assert len(m["text"]) == recall.TEXT_CHARS and m["text"].endswith("…")


def test_without_memory_the_tool_says_so():
    deps = SimpleNamespace(clock=ReplayClock(T0), run_id="t")
    out = run(deps, "recall", query="anything")
    assert out["error"] == "ToolUnavailableError"


def test_arguments_are_validated_and_schemas_are_compact():
    bad = run(SimpleNamespace(run_id="t"), "recall", query="x", k=50, extra=1)
    assert bad["error"] == "ValidationError"
    schema = input_schema(recall.TOOL)
    assert schema["required"] == ["query"] and set(schema["properties"]) == {"query", "symbol", "k"}
