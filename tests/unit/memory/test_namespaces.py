"""Whose memory a chat session uses: the user part of ``<user>/<conversation>`` sessions
(Chainlit, Slack), so one user's sessions share a namespace and two users never do."""

from __future__ import annotations

import pytest

from tradepit.integrations.slack_threads import session_id
from tradepit.memory import namespaces


def namespace_of(session: str) -> str:
    """What the composition root does with a chat session (`bootstrap.memory_namespace`)."""
    return namespaces.user(namespaces.safe_part(namespaces.session_user(session)))


def test_slack_sessions_of_one_user_share_a_namespace():
    threads = [("C0TRADE1", "1700000001.000001"), ("C0TRADE1", "1700000002.000001"),
               ("D0ALICE01", "1700000003.000001")]  # fmt: skip
    found = {namespace_of(session_id("T0TEAM01", "U0ALICE1", c, ts)) for c, ts in threads}
    assert found == {"user:slack-T0TEAM01-U0ALICE1"}


@pytest.mark.parametrize(
    ("other_team", "other_user"), [("T0TEAM01", "U0BOB0001"), ("T0OTHER1", "U0ALICE1")]
)
def test_other_users_and_other_workspaces_get_other_namespaces(other_team, other_user):
    alice = namespace_of(session_id("T0TEAM01", "U0ALICE1", "C0TRADE1", "1.1"))
    other = namespace_of(session_id(other_team, other_user, "C0TRADE1", "1.1"))
    assert alice != other and namespaces.check(other) == other


def test_sessions_from_before_per_user_slack_sessions_stay_on_their_own():
    old = namespace_of(session_id("T0TEAM01", None, "C0TRADE1", "1.1"))
    assert old == "user:slack-T0TEAM01-C0TRADE1-1.1"
    assert old != namespace_of(session_id("T0TEAM01", "U0ALICE1", "C0TRADE1", "1.1"))


def test_chainlit_sessions_keep_their_user():
    assert namespaces.session_user("alice/3f2c") == "alice"
    assert namespaces.session_user("bob") == "bob"
