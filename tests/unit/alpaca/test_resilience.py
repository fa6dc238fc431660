"""Retries, circuit breaker, rate limiter and ambiguous submits, with a fake clock."""

from __future__ import annotations

import random

import pytest

from tradepit.broker.resilience import (
    AmbiguousRequestError,
    Backoff,
    CircuitBreaker,
    CircuitOpenError,
    RateLimiter,
    Resilience,
    SubmitOutcomeUnknownError,
)
from tradepit.domain.errors import (
    BrokerUnavailableError,
    OrderRejectedError,
    RateLimitedError,
)


class Script:
    """A callable that raises or returns the next scripted outcome."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def make(fake_time, attempts=4) -> Resilience:
    t = fake_time
    return Resilience(
        "t",
        max_attempts=attempts,
        backoff=Backoff(0.5, 8.0),
        breaker=CircuitBreaker("t", 5, 60.0, t.monotonic),
        limiter=RateLimiter(180, 60.0, t.monotonic, t.sleep),
        sleep=t.sleep,
        rng=random.Random(0),
    )


def test_retries_transient_errors_with_growing_jittered_backoff(fake_time):
    fn = Script(
        BrokerUnavailableError("x"), BrokerUnavailableError("x"), BrokerUnavailableError("x"), "ok"
    )
    assert make(fake_time).call(fn) == "ok"
    assert fn.calls == 4
    first, second, third = fake_time.sleeps
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0 and 1.0 <= third <= 2.0


def test_business_rejections_are_not_retried(fake_time):
    fn = Script(OrderRejectedError("x", "no"), "never")
    with pytest.raises(OrderRejectedError):
        make(fake_time).call(fn)
    assert fn.calls == 1 and fake_time.sleeps == []


def test_retry_after_is_honoured_and_attempts_are_bounded(fake_time):
    fn = Script(*[RateLimitedError("slow down", retry_after=12.0)] * 3)
    with pytest.raises(RateLimitedError):
        make(fake_time, attempts=3).call(fn)
    assert fn.calls == 3 and fake_time.sleeps == [12.0, 12.0]


def test_breaker_opens_after_five_and_half_opens_after_cooldown(fake_time):
    breaker = CircuitBreaker("b", 5, 60.0, fake_time.monotonic)
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError) as caught:
        breaker.before_call()
    assert caught.value.retry_after == 60.0
    fake_time.now += 60
    assert breaker.state == "half_open"
    breaker.before_call()  # the one trial call
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # no second call while the trial runs
    breaker.record_failure()  # trial failed: open again for 60 s
    assert breaker.state == "open"
    fake_time.now += 60
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"


def test_rate_limiter_keeps_under_the_window(fake_time):
    limiter = RateLimiter(180, 60.0, fake_time.monotonic, fake_time.sleep)
    for _ in range(180):
        assert limiter.acquire() == 0.0
    fake_time.now += 30
    assert limiter.acquire() == 30.0  # the 181st waits until the first slot is 60 s old
    assert fake_time.now == 60.0


def test_ambiguous_submit_found_by_lookup_is_not_resent(fake_time):
    send = Script(AmbiguousRequestError("timeout"), "second order!")
    lookup = Script("the order")
    assert make(fake_time).submit(send, lookup, "cid-1") == "the order"
    assert send.calls == 1 and lookup.calls == 1


def test_ambiguous_submit_not_found_is_resent_once(fake_time):
    send = Script(AmbiguousRequestError("5xx"), "placed")
    lookup = Script(None)
    assert make(fake_time).submit(send, lookup, "cid-2") == "placed"
    assert send.calls == 2 and lookup.calls == 1


def test_rate_limited_submit_is_resent_without_lookup(fake_time):
    send = Script(RateLimitedError("429", retry_after=2.0), "placed")
    lookup = Script()
    assert make(fake_time).submit(send, lookup, "cid-3") == "placed"
    assert lookup.calls == 0 and fake_time.sleeps[0] == 2.0


def test_unresolvable_ambiguity_is_reported_not_resent(fake_time):
    send = Script(AmbiguousRequestError("timeout"))
    lookup = Script(*[BrokerUnavailableError("down")] * 3)
    with pytest.raises(SubmitOutcomeUnknownError, match="cid-4"):
        make(fake_time).submit(send, lookup, "cid-4")
    assert send.calls == 1 and lookup.calls == 3
