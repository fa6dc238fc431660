"""Chat history: bounded, starting at a user message, with no unanswered tool call."""

from __future__ import annotations

import json

from tests.unit.agent.fakes import Scripted, World, call, turn

from tradepit.agent.nodes.route import close_open_calls, trim_history


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def asks(*ids: str) -> dict:
    calls = [{"id": i, "type": "function", "function": {"name": "echo", "arguments": "{}"}}
             for i in ids]  # fmt: skip
    return {"role": "assistant", "content": None, "tool_calls": calls}


def result(i: str) -> dict:
    return {"role": "tool", "tool_call_id": i, "content": "{}"}


def test_trim_keeps_whole_turns():
    messages = [user("1"), asks("a"), result("a"), {"role": "assistant", "content": "x"},
                user("2"), asks("b"), result("b"), {"role": "assistant", "content": "y"},
                user("3")]  # fmt: skip
    assert trim_history(messages, 20) == messages
    assert trim_history(messages, 6) == messages[4:]  # not from a tool result
    assert trim_history(messages, 1) == [user("3")]


def test_unanswered_calls_of_a_crashed_turn_are_closed_before_the_new_message():
    messages = [user("1"), asks("a", "b"), result("a"), user("2")]
    closed = close_open_calls(messages)
    assert [m.get("tool_call_id") for m in closed] == [None, None, "a", "b", None]
    assert json.loads(closed[3]["content"])["error"] == "NotRun"
    assert closed[-1] == user("2")
    assert close_open_calls(closed) == closed


def test_long_chats_send_a_bounded_history(world: World):
    model = Scripted(*[turn(f"answer {i}") for i in range(30)])
    service = world.service(model)
    service._history = 10
    for i in range(30):
        service.chat("s1", f"question {i}")
    last = model.requests[-1]
    assert len(last) <= 11 and last[1] == user("question 25")
    assert last[-1] == user("question 29")


def test_a_turn_after_a_crash_mid_tools_is_well_formed(world: World):
    service = world.service(Scripted(turn("", call("echo", {"text": "a"}))))
    config = {"configurable": {"thread_id": "chat:s1"}}
    service.graph.update_state(config, {"messages": [user("hi"), asks("z")], "cycle": 1})
    model = Scripted(turn("fine"))
    service.backend = model
    assert service.chat("s1", "still there?").text == "fine"
    sent = model.requests[0]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "user"]
