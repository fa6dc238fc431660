"""Slack threads <-> agent conversations, pending approval messages, and orders' threads.

One conversation per Slack user and thread: the session id is
``slack-<team>-<user>/<channel>-<thread_ts>``, a ``<user>/<conversation>`` session
(`tradepit.memory.namespaces.session_user`), so every thread of one Slack user shares that
user's memory (``user:slack-<team>-<user>``) and no two users ever share one. In a channel
thread several people may talk to the bot: each message runs in its author's own session
(own memory, own conversation), so nobody recalls, or writes to, another person's memory,
which may hold notes made in their DMs. An approval button carries the requester, so an
approver's click resumes the requester's session.

The agent's thread is ``chat:<session>`` and its orders' client ids start with
``chat-<session>-``, which is how a fill finds its thread again after a restart. Sessions
are at most `MAX_SESSION` characters, so that ``chat-<session>-<turn>-<symbol>-<leg>``
stays within the brokers' 128 characters. Sessions made before per-user sessions
(``slack-<team>-<channel>-<thread_ts>``) are still read: their fills and approval buttons
find their thread.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

MAX_SESSION = 80
"""Leaves 43 of the 128 characters of a client order id for ``-<turn>-<symbol>-<leg>``
(Slack's ids are 9-11 characters today: a session is about 60)."""
_ID = r"[A-Z0-9]+"
_TS = r"\d+\.\d+"
_PART = re.compile(rf"^{_ID}$")
_THREAD_TS = re.compile(rf"^{_TS}$")
_SESSION = re.compile(rf"^slack-({_ID})-(?:({_ID})/)?({_ID})-({_TS})$")
_ORDER = re.compile(rf"^chat-slack-{_ID}-(?:{_ID}/)?({_ID})-({_TS})-")


def session_id(team: str, user: str | None, channel: str, thread_ts: str) -> str:
    """The agent session of `user` in a Slack thread (``user=None``: the format before
    per-user sessions, for approval buttons posted then); ValueError on malformed ids."""
    ids = (team, channel) if user is None else (team, user, channel)
    owner = "" if user is None else f"{user}/"
    session = f"slack-{team}-{owner}{channel}-{thread_ts}"
    valid = all(_PART.fullmatch(i) for i in ids) and _THREAD_TS.fullmatch(thread_ts)
    if not valid or len(session) > MAX_SESSION:
        raise ValueError(f"not a Slack thread: {team!r} {user!r} {channel!r} {thread_ts!r}")
    return session


def thread_of_session(session: str) -> tuple[str, str] | None:
    """``(channel, thread_ts)`` of a session made by `session_id`."""
    match = _SESSION.fullmatch(session)
    return (match[3], match[4]) if match else None


def thread_of_order(client_order_id: str) -> tuple[str, str] | None:
    """``(channel, thread_ts)`` of an order placed from a Slack thread."""
    match = _ORDER.match(client_order_id)
    return (match[1], match[2]) if match else None


class ButtonValue(NamedTuple):
    """What an approval button carries."""

    call_id: str
    expires: float
    """Unix time."""
    user: str | None
    """Who asked for the order (whose session it waits in); None on buttons posted before
    per-user sessions."""


def button_value(call_id: str, expires_at: datetime, user: str | None) -> str:
    """What an approval button carries: the tool call it answers, the expiry, and the
    requester (None: a session from before per-user sessions)."""
    value: dict[str, Any] = {"call": call_id, "exp": int(expires_at.timestamp())}
    if user is not None:
        value["user"] = user
    return json.dumps(value)


def read_button_value(value: str) -> ButtonValue | None:
    try:
        data = json.loads(value)
        user = data.get("user")
        return ButtonValue(
            str(data["call"]), float(data["exp"]), None if user is None else str(user)
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


@dataclass(frozen=True)
class PendingApproval:
    """An approval message posted in a thread and not answered yet."""

    session: str
    channel: str
    thread_ts: str
    message_ts: str
    call_id: str
    approval: dict[str, Any]
    requested_by: str | None
    expires_at: datetime


class Approvals:
    """Pending approval messages by session (one at most per session). Thread-safe."""

    def __init__(self) -> None:
        self._by_session: dict[str, PendingApproval] = {}
        self._lock = threading.Lock()

    def add(self, pending: PendingApproval) -> None:
        with self._lock:
            self._by_session[pending.session] = pending

    def pop(self, session: str) -> PendingApproval | None:
        with self._lock:
            return self._by_session.pop(session, None)

    def due(self, now: datetime) -> list[PendingApproval]:
        """Remove and return the approvals that expired at `now`."""
        with self._lock:
            due = [p for p in self._by_session.values() if p.expires_at <= now]
            for p in due:
                del self._by_session[p.session]
            return due

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_session)
