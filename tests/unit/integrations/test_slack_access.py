"""Allow-lists, approvers, the per-user rate limit and the replay memory of the Slack bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from tradepit.clock import ReplayClock
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError
from tradepit.integrations.slack_access import (
    RateLimiter,
    RecentSet,
    ReplayGuard,
    SlackPolicy,
    parse_ids,
)

NOW = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
POLICY = SlackPolicy(
    teams=frozenset({"T1"}),
    channels=frozenset({"C1"}),
    users=frozenset({"U1"}),
    approvers=frozenset({"U9"}),
)


def test_ids_are_comma_or_space_separated():
    assert parse_ids(" U1, U2 U3,,") == {"U1", "U2", "U3"}
    assert parse_ids("") == frozenset()


def test_policy_from_settings():
    settings = Settings(
        _env_file=None, slack_allowed_teams="T1", slack_allowed_channels="*",
        slack_allowed_users="U1,U2", slack_approvers="U2", slack_allow_dms=False,
        slack_approval_ttl_s=120, slack_rate_limit_per_min=5,
    )  # fmt: skip
    policy = SlackPolicy.from_settings(settings)
    assert policy.channels == {"*"} and policy.users == {"U1", "U2"}
    assert policy.approval_ttl_s == 120 and policy.rate_limit_per_min == 5
    assert not policy.allow_dms
    assert policy.refusal("T1", "C777", "U1", dm=False) is None  # any channel


@pytest.mark.parametrize(
    ("team", "channel", "user", "dm", "refusal"),
    [
        ("T1", "C1", "U1", False, None),
        ("T1", "C1", "U9", False, None),  # approvers are served too
        ("T2", "C1", "U1", False, "team"),
        (None, "C1", "U1", False, "team"),
        ("T1", "C2", "U1", False, "channel"),
        ("T1", "C1", "U2", False, "user"),
        ("T1", "C1", None, False, "user"),
        ("T1", "D1", "U1", True, None),
        ("T1", "D1", "U2", True, "user"),
    ],
)
def test_refusals(team, channel, user, dm, refusal):
    assert POLICY.refusal(team, channel, user, dm=dm) == refusal


def test_direct_messages_can_be_refused():
    policy = SlackPolicy(teams=frozenset({"T1"}), users=frozenset({"*"}), allow_dms=False)
    assert policy.refusal("T1", "D1", "U5", dm=True) == "dm"


def test_only_approvers_approve():
    assert POLICY.may_approve("U9") and not POLICY.may_approve("U1")
    assert not POLICY.may_approve(None)
    assert SlackPolicy(teams=frozenset({"T1"}), approvers=frozenset({"*"})).may_approve("U5")


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (SlackPolicy(teams=frozenset()), "TRADEPIT_SLACK_ALLOWED_TEAMS"),
        (SlackPolicy(teams=frozenset({"T1"})), "TRADEPIT_SLACK_ALLOWED_USERS"),
        (
            SlackPolicy(teams=frozenset({"T1"}), users=frozenset({"U1"}), allow_dms=False),
            "TRADEPIT_SLACK_ALLOWED_CHANNELS",
        ),
    ],
)
def test_a_policy_that_serves_nobody_is_a_config_error(policy: SlackPolicy, message: str):
    with pytest.raises(ConfigError, match=message):
        policy.validate()


def test_rate_limit_is_a_sliding_window_per_key():
    clock = ReplayClock(NOW)
    limiter = RateLimiter(2, clock)
    assert limiter.hit("U1") is None
    clock.advance_to(NOW + timedelta(seconds=20))
    assert limiter.hit("U1") is None
    assert limiter.hit("U1") == pytest.approx(40.0)
    assert limiter.hit("U2") is None  # another user
    clock.advance_to(NOW + timedelta(seconds=60))
    assert limiter.hit("U1") is None  # the first hit left the window
    assert limiter.hit("U1") == pytest.approx(20.0)


def test_recent_set_forgets_expired_keys_and_stays_bounded():
    clock = ReplayClock(NOW)
    seen = RecentSet(clock, ttl_s=10, max_size=3)
    assert seen.add("a") and not seen.add("a")
    clock.advance_to(NOW + timedelta(seconds=10))
    assert seen.add("a")  # expired, new again
    for key in "bcd":
        seen.add(key)
    assert len(seen) == 3 and seen.add("a")  # the oldest was evicted


def request(signature: str, timestamp: str, mode: str = "http_request") -> BoltRequest:
    headers = {"x-slack-signature": signature, "x-slack-request-timestamp": timestamp}
    return BoltRequest(body="{}", headers=headers, mode=mode)


def run(guard: ReplayGuard, req: BoltRequest) -> int:
    return guard.process(
        req=req, resp=BoltResponse(status=200), next=lambda: BoltResponse(status=200)
    ).status


def test_replay_guard_refuses_a_signature_seen_within_its_window():
    clock = ReplayClock(NOW)
    guard = ReplayGuard(clock)
    ts = str(int(NOW.timestamp()))
    assert run(guard, request("v0=aa", ts)) == 200
    assert run(guard, request("v0=aa", ts)) == 401
    assert run(guard, request("v0=bb", ts)) == 200
    assert run(guard, request("", ts)) == 401
    assert run(guard, request("v0=cc", "not-a-number")) == 401
    assert run(guard, request("", "", mode="socket_mode")) == 200  # no signatures there
    assert guard.refused == 3
    clock.advance_to(NOW + timedelta(seconds=301))  # Bolt refuses that timestamp by now
    assert guard.first_time(ts, "v0=aa")
