"""Resilience for remote brokers and data sources: retries, circuit breaker, rate limit.

Works on domain errors (adapters translate vendor errors first):

- Only transient failures are retried: `BrokerUnavailableError` (network, 5xx) and
  `RateLimitedError` (429; its ``retry_after`` is honoured). Business rejections
  (`OrderRejectedError`, not found, config errors) are raised at once.
- `CircuitBreaker`: open after N consecutive transient failures (calls fail fast with
  `CircuitOpenError`), half-open after a cool-down (one trial call), closed on success.
- `RateLimiter`: a sliding window (default 180 requests / 60 s, under Alpaca's 200/min).
- `Resilience.submit`: an order submit whose outcome is unknown (timeout after sending, 5xx,
  dropped connection) is looked up by client_order_id before any resend, so an order is
  never placed twice.

Time (monotonic) and sleep are injectable, so tests run without waiting.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from tradepit.domain.errors import (
    BrokerUnavailableError,
    DuplicateClientOrderIdError,
    RateLimitedError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

Monotonic = Callable[[], float]
Sleep = Callable[[float], None]


class CircuitOpenError(BrokerUnavailableError):
    """The circuit breaker is open after repeated failures: the call was not attempted.
    Wait ``retry_after`` seconds; do not hammer the service."""

    def __init__(self, name: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"{name}: circuit open, next trial in {retry_after:.1f} s")


class AmbiguousRequestError(BrokerUnavailableError):
    """The request may have reached the server (timeout after sending, dropped connection,
    5xx). For an order submit, look the order up by client_order_id before any retry."""


class SubmitOutcomeUnknownError(BrokerUnavailableError):
    """An order submit failed ambiguously and the order could not be looked up. Do NOT
    resend blindly: look it up by ``client_order_id`` once the broker is reachable."""

    def __init__(self, client_order_id: str, cause: str) -> None:
        self.client_order_id = client_order_id
        super().__init__(
            f"outcome of order {client_order_id!r} unknown ({cause}); "
            "look it up by client_order_id before resending"
        )


def is_transient(error: BaseException) -> bool:
    """Worth retrying: network trouble, 5xx, 429. Not an open circuit (fail fast)."""
    return isinstance(error, BrokerUnavailableError) and not isinstance(
        error, CircuitOpenError | SubmitOutcomeUnknownError
    )


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with equal jitter: attempt n waits in [d/2, d], d = base * 2^(n-1)
    capped at `cap`."""

    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        capped = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return capped / 2 + rng.uniform(0, capped / 2)


class CircuitBreaker:
    """Consecutive-failure breaker: CLOSED -> OPEN (after `threshold` failures) -> HALF_OPEN
    (after `cooldown` s, one trial call) -> CLOSED on success or OPEN again on failure."""

    def __init__(
        self,
        name: str = "broker",
        threshold: int = 5,
        cooldown: float = 60.0,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.name = name
        self.threshold = threshold
        self.cooldown = cooldown
        self._now = monotonic
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """ "closed", "open" or "half_open"."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._now() - self._opened_at >= self.cooldown:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        """Raise CircuitOpenError unless a call may go through now."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return
            if state == "half_open" and not self._trial_running:
                self._trial_running = True
                log.info("circuit half-open: trial call", extra={"circuit": self.name})
                return
            opened = self._opened_at or 0.0
            raise CircuitOpenError(self.name, max(0.0, opened + self.cooldown - self._now()))

    def record_success(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                log.info("circuit closed", extra={"circuit": self.name})
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.threshold:
                if self._opened_at is None or self._trial_running:
                    log.warning(
                        "circuit open",
                        extra={"circuit": self.name, "failures": self._failures},
                    )
                self._opened_at = self._now()
                self._trial_running = False


class RateLimiter:
    """At most `limit` calls in any `window` seconds; `acquire` sleeps until a slot frees."""

    def __init__(
        self,
        limit: int = 180,
        window: float = 60.0,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if limit <= 0 or window <= 0:
            raise ValueError("rate limit and window must be positive")
        self.limit = limit
        self.window = window
        self._now = monotonic
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take a slot; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._now()
                while self._calls and now - self._calls[0] >= self.window:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    self._calls.append(now)
                    return waited
                pause = self._calls[0] + self.window - now
            log.debug("rate limit reached, waiting %.3f s", pause)
            self._sleep(pause)
            waited += pause


class Resilience:
    """Runs calls through the rate limiter and circuit breaker, retrying transient errors.

    `call` is for idempotent requests (reads, cancels); `submit` for order submits.
    """

    def __init__(
        self,
        name: str = "broker",
        *,
        max_attempts: int = 4,
        backoff: Backoff | None = None,
        breaker: CircuitBreaker | None = None,
        limiter: RateLimiter | None = None,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.name = name
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff()
        self.breaker = breaker or CircuitBreaker(name, monotonic=monotonic)
        self.limiter = limiter or RateLimiter(monotonic=monotonic, sleep=sleep)
        self._sleep = sleep
        self._rng = rng or random.Random()

    def _guarded(self, fn: Callable[[], T]) -> T:
        self.breaker.before_call()
        self.limiter.acquire()
        try:
            result = fn()
        except BaseException as e:
            if is_transient(e):
                self.breaker.record_failure()
            else:
                self.breaker.record_success()  # the service answered (a business error)
            raise
        self.breaker.record_success()
        return result

    def _wait(self, state: RetryCallState) -> float:
        delay = self.backoff.delay(state.attempt_number, self._rng)
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        log.warning(
            "transient failure, retrying in %.2f s: %s",
            delay,
            error,
            extra={"target": self.name, "attempt": state.attempt_number},
        )
        return delay

    def _retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )

    def call(self, fn: Callable[[], T]) -> T:
        """`fn()` with retries on transient errors; the last error is raised."""
        return self._retrying()(self._guarded, fn)

    def submit(
        self,
        send: Callable[[], T],
        lookup: Callable[[], T | None],
        client_order_id: str,
    ) -> T:
        """Send an order at most once in effect: after an ambiguous failure, `lookup()` (by
        client_order_id) runs before any resend and its order is returned when found.
        `send` must always carry the same client_order_id."""
        maybe_sent = False
        sent_before = False

        def attempt() -> T:
            nonlocal maybe_sent, sent_before
            if maybe_sent:
                found = self._guarded(lookup)
                if found is not None:
                    log.info(
                        "ambiguous submit resolved: order exists",
                        extra={"client_order_id": client_order_id},
                    )
                    return found
                maybe_sent = False
            try:
                return self._guarded(send)
            except DuplicateClientOrderIdError:
                if not sent_before:
                    raise  # the caller reused an id: not ours to resolve
                found = self._guarded(lookup)
                if found is None:
                    raise
                return found
            except BrokerUnavailableError as e:
                if isinstance(e, AmbiguousRequestError):
                    maybe_sent = sent_before = True
                raise

        try:
            return self._retrying()(attempt)
        except BrokerUnavailableError as e:
            if maybe_sent and not isinstance(e, SubmitOutcomeUnknownError):
                raise SubmitOutcomeUnknownError(client_order_id, str(e)) from e
            raise
