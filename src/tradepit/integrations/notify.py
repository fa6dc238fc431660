"""The notifier interface, its typed errors and the retry policy every notifier uses.

A `Notifier` delivers one event to one target (a Slack webhook, a Slack channel through the
Web API, a Discord webhook) or raises a `NotifyError`. Retries (tenacity): transient
failures only (network, timeout, 5xx, 429); a 429's Retry-After is honoured exactly, up to
`max_wait_s` (a longer wait gives up at once rather than stall the caller). 4xx business
errors are never retried. `sleep` is injectable so tests do not wait.

Delivery is at least once: a timed-out post is retried and may show twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from tradepit.domain.errors import TradepitError
from tradepit.integrations.events import NotifyEvent

log = logging.getLogger(__name__)
T = TypeVar("T")


class NotifyError(TradepitError):
    """A notification was not delivered. Trading goes on (the hub logs and counts it);
    see the subclass for what to do. The message never contains a secret."""

    def __init__(self, target: str, message: str) -> None:
        self.target = target
        super().__init__(f"{target}: {message}")


class NotifyRejectedError(NotifyError):
    """The target refused the message (a 4xx other than 429, or Slack ``ok: false``): a
    revoked webhook, an unknown channel, a missing scope, an invalid payload. Not retried:
    fix the configuration (``code`` says what the target answered)."""

    def __init__(self, target: str, code: str, status: int | None = None) -> None:
        self.code = code
        self.status = status
        where = f"HTTP {status}" if status is not None else "refused"
        super().__init__(target, f"{where}: {code}")


class NotifyUnavailableError(NotifyError):
    """The target was unreachable or failing (network, timeout, 5xx) through every retry.
    Try again later; if it persists, check the target's status page."""


class NotifyRateLimitedError(NotifyUnavailableError):
    """The target asked to slow down (HTTP 429). Wait ``retry_after`` seconds (when known)."""

    def __init__(self, target: str, retry_after: float | None) -> None:
        self.retry_after = retry_after
        after = f", retry after {retry_after:g} s" if retry_after is not None else ""
        super().__init__(target, f"rate limited (HTTP 429{after})")


@runtime_checkable
class Notifier(Protocol):
    """Delivers events to one target. `name` identifies the target in logs and reports and
    never contains a secret."""

    @property
    def name(self) -> str: ...

    def send(self, event: NotifyEvent) -> None:
        """Deliver `event` (retrying transient failures) or raise a `NotifyError`."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and waits of one delivery (see the module docstring)."""

    attempts: int = 4
    backoff_s: float = 0.5
    """First wait after a transient failure; doubles each attempt up to `max_backoff_s`."""
    max_backoff_s: float = 8.0
    max_wait_s: float = 30.0
    """Longest Retry-After honoured; a longer one ends the delivery at once."""
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def call(self, target: str, attempt: Callable[[], T]) -> T:
        """Run `attempt` until it succeeds, fails for good, or the attempts run out."""
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts) | _StopOnLongWait(self.max_wait_s),
            wait=_Wait(self.backoff_s, self.max_backoff_s),
            retry=retry_if_exception_type(NotifyUnavailableError),
            sleep=self.sleep,
            reraise=True,
            before_sleep=lambda state: _log_retry(target, state),
        )
        return retrying(attempt)


def _retry_after(state: RetryCallState) -> float | None:
    error = state.outcome.exception() if state.outcome is not None else None
    return error.retry_after if isinstance(error, NotifyRateLimitedError) else None


class _StopOnLongWait(stop_base):
    def __init__(self, max_wait_s: float) -> None:
        self.max_wait_s = max_wait_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        after = _retry_after(retry_state)
        return after is not None and after > self.max_wait_s


class _Wait(wait_base):
    """The server's Retry-After when it sent one, else exponential backoff."""

    def __init__(self, first: float, cap: float) -> None:
        self.first, self.cap = first, cap

    def __call__(self, retry_state: RetryCallState) -> float:
        after = _retry_after(retry_state)
        if after is not None:
            return max(after, 0.0)
        return min(self.cap, self.first * 2 ** (retry_state.attempt_number - 1))


def _log_retry(target: str, state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning(
        "notification to %s failed (%s); attempt %d, retrying in %.1f s",
        target,
        error,
        state.attempt_number,
        wait,
        extra={"target": target},
    )
