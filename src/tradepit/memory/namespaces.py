"""Memory namespaces: whose memory an entry belongs to.

- a chat user: `user:<user_id>`, shared by all of that user's sessions;
- a battle competitor: `battle:<battle_id>:<competitor>`, or `battle:<battle_id>:shared`
  when the battle asks for one shared memory;
- an autonomous run (or agent) of its own: `agent:<name>`.

A recall reads exactly one namespace, so nothing crosses users or competitors.

Chat sessions name their user (`session_user`): a front end serving several users names its
sessions ``<user>/<conversation>``; a session without ``/`` is a user of its own. Chainlit:
``<login>/<thread id>``; Slack: ``slack-<team>-<user>/<channel>-<thread ts>`` (one memory per
Slack user and workspace, `tradepit.integrations.slack_threads`).
"""

from __future__ import annotations

import hashlib
import re

_PART = re.compile(r"^[A-Za-z0-9_.@+\-]{1,100}$")
_NAMESPACE = re.compile(r"^[a-z]+(:[A-Za-z0-9_.@+\-]{1,100}){1,3}$")


def _part(value: str, what: str) -> str:
    if not _PART.match(value):
        raise ValueError(f"{what} {value!r} must be 1-100 of letters, digits, _ . @ + -")
    return value


def user(user_id: str) -> str:
    return f"user:{_part(user_id, 'user id')}"


def competitor(battle_id: str, name: str, *, shared: bool = False) -> str:
    """A competitor's own namespace, or the battle's shared one when `shared`."""
    battle = _part(battle_id, "battle id")
    return f"battle:{battle}:shared" if shared else f"battle:{battle}:{_part(name, 'competitor')}"


def agent(name: str) -> str:
    return f"agent:{_part(name, 'agent name')}"


def safe_part(value: str) -> str:
    """`value` if it is a valid part, else a valid one made from it that no other value
    maps to (its allowed characters plus a digest of the whole)."""
    if _PART.match(value):
        return value
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]
    kept = re.sub(r"[^A-Za-z0-9_.@+\-]+", "_", value)[:60].strip("_")
    return f"{kept}--{digest}" if kept else digest


def session_user(session: str) -> str:
    """The user a chat session belongs to: the part before the first ``/``, or the whole."""
    return session.split("/", 1)[0] or session


def check(namespace: str) -> str:
    """`namespace` if it is well-formed (kind:part[:part[:part]]), else ValueError."""
    if not _NAMESPACE.match(namespace):
        raise ValueError(f"malformed memory namespace {namespace!r} (e.g. user:alice)")
    return namespace
