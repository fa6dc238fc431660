"""Slack threads <-> agent sessions (one per user and thread), approval buttons and the
pending-approval registry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tradepit.agent.deps import AgentDeps
from tradepit.agent.service import chat_run
from tradepit.integrations.slack_threads import (
    MAX_SESSION,
    Approvals,
    ButtonValue,
    PendingApproval,
    button_value,
    read_button_value,
    session_id,
    thread_of_order,
    thread_of_session,
)

NOW = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)


def test_one_session_per_user_and_thread():
    session = session_id("T1", "U1", "C1", "1709650800.000100")
    assert session == "slack-T1-U1/C1-1709650800.000100"
    assert thread_of_session(session) == ("C1", "1709650800.000100")
    assert session != session_id("T1", "U1", "C1", "1709650800.000200")
    assert session != session_id("T1", "U2", "C1", "1709650800.000100")
    assert thread_of_session("cli") is None


def test_sessions_from_before_per_user_sessions_are_still_read():
    old = session_id("T1", None, "C1", "1709650800.000100")
    assert old == "slack-T1-C1-1709650800.000100"
    assert thread_of_session(old) == ("C1", "1709650800.000100")
    assert thread_of_order(f"chat-{old}-3-MSFT-buy") == ("C1", "1709650800.000100")


@pytest.mark.parametrize(
    ("team", "user", "channel", "ts"),
    [("T1", "U1", "C1", "now"), ("T-1", "U1", "C1", "1.2"), ("T1", "U1", "C1;DROP", "1.2"),
     ("", "U1", "C1", "1.2"), ("T1", "", "C1", "1.2"), ("T1", "U1/C9", "C1", "1.2"),
     ("T1", "U1", "C1", "1.2\n"), ("T1", "U" * 70, "C1", "1.2")],
)  # fmt: skip
def test_malformed_threads_are_refused(team: str, user: str, channel: str, ts: str):
    with pytest.raises(ValueError, match="not a Slack thread"):
        session_id(team, user, channel, ts)


def test_orders_find_their_thread_from_the_client_order_id():
    run = "chat-" + session_id("T1", "U1", "C1", "1709650800.000100")
    assert thread_of_order(f"{run}-3-MSFT-buy") == ("C1", "1709650800.000100")
    assert thread_of_order(f"{run}-3-MSFT-buy-sl") == ("C1", "1709650800.000100")
    assert thread_of_order("chat-cli-1-MSFT-buy") is None
    assert thread_of_order("chat-alice/s1-1-MSFT-buy") is None
    assert thread_of_order("run-x-1-MSFT-entry") is None


def test_the_longest_session_leaves_room_for_the_order_id():
    """A session of MAX_SESSION characters still gives whole client order ids (128 at most,
    never cut), which lead back to the thread."""
    ts = "1709650800.000100"
    room = MAX_SESSION - len(f"slack--/-{ts}")
    team, user = "T" + "1" * (room // 3 - 1), "W" + "2" * (room // 3 - 1)
    channel = "C" + "3" * (room - len(team) - len(user) - 1)
    session = session_id(team, user, channel, ts)
    assert len(session) == MAX_SESSION
    deps = AgentDeps(broker=None, market=None, clock=None, gate=None, limits=None,
                     run_id=chat_run(session), cycle=9999)  # type: ignore[arg-type]  # fmt: skip
    for symbol, leg in (("BRK.B", "close"), ("GOOGL", "sell"), ("BTC/USD", "buy")):
        order_id = deps.client_order_id(symbol, leg)
        assert order_id.endswith(f"-9999-{symbol}-{leg}") and len(order_id) <= 128
        assert thread_of_order(order_id) == (channel, ts)
    with pytest.raises(ValueError, match="not a Slack thread"):
        session_id(team + "1", user, channel, ts)


def test_button_values_carry_the_requester_and_garbage_is_none():
    value = read_button_value(button_value("call-7", NOW, "U1"))
    assert value == ButtonValue("call-7", NOW.timestamp(), "U1")
    old = read_button_value(json.dumps({"call": "call-7", "exp": NOW.timestamp()}))
    assert old == ButtonValue("call-7", NOW.timestamp(), None)
    assert read_button_value(button_value("call-7", NOW, None)) == old
    for bad in ("", "{}", "[1]", '{"call": "x"}', "not json"):
        assert read_button_value(bad) is None


def pending(session: str, expires: datetime) -> PendingApproval:
    return PendingApproval(session, "C1", "1.1", "2.2", "call", {}, "U1", expires)


def test_approvals_expire_and_pop_once():
    approvals = Approvals()
    approvals.add(pending("a", NOW + timedelta(seconds=10)))
    approvals.add(pending("b", NOW + timedelta(seconds=20)))
    assert approvals.due(NOW) == []
    assert [p.session for p in approvals.due(NOW + timedelta(seconds=10))] == ["a"]
    assert approvals.due(NOW + timedelta(seconds=10)) == []
    assert approvals.pop("b") is not None and approvals.pop("b") is None
    assert len(approvals) == 0
