"""Who and what the Slack bot serves, and how often.

- `SlackPolicy`: workspace, channel and user allow-lists and the approver list (fail-closed:
  nothing is served until workspaces and users are configured; ``*`` means any).
- `RateLimiter`: a sliding one-minute window per user.
- `RecentSet`: keys remembered until they expire (replayed signatures, Slack's event retries).
- `ReplayGuard`: Bolt middleware placed right after Bolt's own signature check (which refuses
  timestamps more than 5 minutes off): a request whose signature was already seen in that
  window is a replay and gets 401.

The wall clock is injected (`Clock`), so tests control time.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from slack_bolt.middleware import Middleware
from slack_bolt.response import BoltResponse

from tradepit.domain.errors import ConfigError

if TYPE_CHECKING:
    from slack_bolt.request import BoltRequest

    from tradepit.config import Settings
    from tradepit.domain.ports import Clock

log = logging.getLogger(__name__)

ANY = "*"
SIGNATURE_WINDOW_S = 300
"""Slack's signature window: Bolt refuses timestamps further than this from now."""
Refusal = Literal["team", "channel", "dm", "user"]


def parse_ids(text: str) -> frozenset[str]:
    """Comma- or space-separated ids (``"U1, U2"``) as a set; ``*`` is kept as is."""
    return frozenset(part for part in text.replace(",", " ").split() if part)


def _allows(ids: frozenset[str], value: str | None) -> bool:
    return value is not None and (ANY in ids or value in ids)


@dataclass(frozen=True)
class SlackPolicy:
    """Allow-lists, approvers, approval expiry and the rate limit of the bot."""

    teams: frozenset[str]
    channels: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    approvers: frozenset[str] = frozenset()
    allow_dms: bool = True
    approval_ttl_s: float = 600.0
    rate_limit_per_min: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackPolicy:
        return cls(
            teams=parse_ids(settings.slack_allowed_teams),
            channels=parse_ids(settings.slack_allowed_channels),
            users=parse_ids(settings.slack_allowed_users),
            approvers=parse_ids(settings.slack_approvers),
            allow_dms=settings.slack_allow_dms,
            approval_ttl_s=settings.slack_approval_ttl_s,
            rate_limit_per_min=settings.slack_rate_limit_per_min,
        )

    def validate(self) -> None:
        """ConfigError when the configuration would serve nobody."""
        if not self.teams:
            raise ConfigError("set TRADEPIT_SLACK_ALLOWED_TEAMS (workspace ids, T...)")
        if not (self.users or self.approvers):
            raise ConfigError("set TRADEPIT_SLACK_ALLOWED_USERS (user ids, U..., or *)")
        if not (self.channels or self.allow_dms):
            raise ConfigError(
                "set TRADEPIT_SLACK_ALLOWED_CHANNELS or TRADEPIT_SLACK_ALLOW_DMS=true"
            )
        if not self.approvers:
            log.warning("no Slack approver: orders that need approval cannot be approved")

    def refusal(
        self, team: str | None, channel: str | None, user: str | None, *, dm: bool
    ) -> Refusal | None:
        """None when the request is served, else what refused it."""
        result: Refusal | None = None
        if not _allows(self.teams, team):
            result = "team"
        elif dm and not self.allow_dms:
            result = "dm"
        elif not dm and not _allows(self.channels, channel):
            result = "channel"
        elif not (_allows(self.users, user) or _allows(self.approvers, user)):
            result = "user"
        return result

    def may_approve(self, user: str | None) -> bool:
        return _allows(self.approvers, user)


class RecentSet:
    """Keys kept until they expire; `add` says whether a key is new. Thread-safe and
    bounded (the oldest keys go first beyond `max_size`)."""

    def __init__(self, clock: Clock, ttl_s: float, max_size: int = 100_000) -> None:
        self._clock = clock
        self._ttl = ttl_s
        self._max = max_size
        self._keys: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: str, expires_at: float | None = None) -> bool:
        """Remember `key` (until `expires_at`, epoch seconds); False when already there."""
        now = self._clock.now().timestamp()
        with self._lock:
            while self._keys and (
                next(iter(self._keys.values())) <= now or len(self._keys) >= self._max
            ):
                self._keys.popitem(last=False)
            if key in self._keys and self._keys[key] > now:
                return False
            self._keys[key] = expires_at if expires_at is not None else now + self._ttl
            self._keys.move_to_end(key)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


class RateLimiter:
    """At most `per_minute` hits per key in any sliding 60 s window."""

    def __init__(self, per_minute: int, clock: Clock, window_s: float = 60.0) -> None:
        self._limit = per_minute
        self._window = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a hit; None when allowed, else the seconds until one is allowed again
        (a refused hit is not counted)."""
        now = self._clock.now().timestamp()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self._window:
                hits.popleft()
            if len(hits) >= self._limit:
                return max(hits[0] + self._window - now, 0.0)
            hits.append(now)
            return None


class ReplayGuard(Middleware):
    """Refuses an HTTP request whose signature was already seen (see the module
    docstring). Socket Mode requests carry no signature and pass."""

    def __init__(self, clock: Clock, window_s: float = SIGNATURE_WINDOW_S) -> None:
        self._window = window_s
        self._seen = RecentSet(clock, window_s)
        self.refused = 0

    def first_time(self, timestamp: str, signature: str) -> bool:
        """Remember the signature for the rest of its window; False when seen before."""
        try:
            expires = int(timestamp) + self._window
        except ValueError:
            return False
        return self._seen.add(signature, float(expires))

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        if req.mode == "socket_mode":
            return next()
        timestamp = req.headers.get("x-slack-request-timestamp", [""])[0]
        signature = req.headers.get("x-slack-signature", [""])[0]
        if signature and self.first_time(timestamp, signature):
            return next()
        self.refused += 1
        log.warning("refused a replayed or unsigned Slack request", extra={"ts": timestamp})
        return BoltResponse(status=401, body={"error": "replayed request"})
