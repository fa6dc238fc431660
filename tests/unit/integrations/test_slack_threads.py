"""Slack threads <-> agent sessions, approval buttons and the pending-approval registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradepit.integrations.slack_threads import (
    Approvals,
    PendingApproval,
    button_value,
    read_button_value,
    session_id,
    thread_of_order,
    thread_of_session,
)

NOW = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)


def test_one_session_per_thread():
    session = session_id("T1", "C1", "1709650800.000100")
    assert session == "slack-T1-C1-1709650800.000100"
    assert thread_of_session(session) == ("C1", "1709650800.000100")
    assert session != session_id("T1", "C1", "1709650800.000200")
    assert thread_of_session("cli") is None


@pytest.mark.parametrize(
    ("team", "channel", "ts"),
    [("T1", "C1", "now"), ("T-1", "C1", "1.2"), ("T1", "C1;DROP", "1.2"), ("", "C1", "1.2")],
)
def test_malformed_threads_are_refused(team: str, channel: str, ts: str):
    with pytest.raises(ValueError, match="not a Slack thread"):
        session_id(team, channel, ts)


def test_orders_find_their_thread_from_the_client_order_id():
    run = "chat-" + session_id("T1", "C1", "1709650800.000100")
    assert thread_of_order(f"{run}-3-MSFT-buy") == ("C1", "1709650800.000100")
    assert thread_of_order(f"{run}-3-MSFT-buy-sl") == ("C1", "1709650800.000100")
    assert thread_of_order("chat-cli-1-MSFT-buy") is None
    assert thread_of_order("run-x-1-MSFT-entry") is None


def test_button_values_round_trip_and_garbage_is_none():
    value = button_value("call-7", NOW)
    assert read_button_value(value) == ("call-7", NOW.timestamp())
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
