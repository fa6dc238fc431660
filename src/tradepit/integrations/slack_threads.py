"""Slack threads <-> agent conversations, pending approval messages, and orders' threads.

One conversation per Slack thread: the session id is ``slack-<team>-<channel>-<thread_ts>``
(so the agent's thread is ``chat:slack-...`` and its orders' client ids start with
``chat-slack-...``, which is how a fill finds its thread again after a restart).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_SESSION = re.compile(r"^slack-([A-Z0-9]+)-([A-Z0-9]+)-(\d+\.\d+)$")
_ORDER = re.compile(r"^chat-slack-([A-Z0-9]+)-([A-Z0-9]+)-(\d+\.\d+)-")
_TS = re.compile(r"^\d+\.\d+$")
_ID = re.compile(r"^[A-Z0-9]+$")


def session_id(team: str, channel: str, thread_ts: str) -> str:
    """The agent session of a Slack thread; ValueError on malformed ids."""
    if not (_ID.match(team) and _ID.match(channel) and _TS.match(thread_ts)):
        raise ValueError(f"not a Slack thread: {team!r} {channel!r} {thread_ts!r}")
    return f"slack-{team}-{channel}-{thread_ts}"


def thread_of_session(session: str) -> tuple[str, str] | None:
    """``(channel, thread_ts)`` of a session made by `session_id`."""
    match = _SESSION.match(session)
    return (match[2], match[3]) if match else None


def thread_of_order(client_order_id: str) -> tuple[str, str] | None:
    """``(channel, thread_ts)`` of an order placed from a Slack thread."""
    match = _ORDER.match(client_order_id)
    return (match[2], match[3]) if match else None


def button_value(call_id: str, expires_at: datetime) -> str:
    """What an approval button carries: the tool call it answers and the expiry."""
    return json.dumps({"call": call_id, "exp": int(expires_at.timestamp())})


def read_button_value(value: str) -> tuple[str, float] | None:
    try:
        data = json.loads(value)
        return str(data["call"]), float(data["exp"])
    except (ValueError, TypeError, KeyError):
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
