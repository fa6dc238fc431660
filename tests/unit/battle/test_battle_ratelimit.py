"""The per-provider token bucket (fake clock: no sleeping in tests)."""

from __future__ import annotations

import pytest

from tradepit.agent.backends.base import AssistantTurn
from tradepit.battle.ratelimit import ProviderLimits, RateLimitedBackend, TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_allows_a_burst_then_paces():
    t = FakeTime()
    bucket = TokenBucket(rate=2.0, capacity=2, clock=t.clock, sleep=t.sleep)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([0.5, 0.5, 0.5])
    t.now += 10  # idle: the bucket refills, but never beyond its capacity
    assert [bucket.acquire() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])
    with pytest.raises(ValueError):
        TokenBucket(rate=0)


class Echo:
    name = "gpt-4o"

    def complete(self, messages, tools):
        return AssistantTurn(text="ok")


def test_backends_of_one_provider_share_a_bucket():
    limits = ProviderLimits(rpm=120)
    a = limits.wrap(Echo(), "gpt-4o")
    b = limits.wrap(Echo(), "openai/gpt-4o-mini")
    c = limits.wrap(Echo(), "anthropic/claude-sonnet-4-6")
    assert isinstance(a, RateLimitedBackend) and a.name == "gpt-4o"
    assert a.bucket is b.bucket and a.bucket is not c.bucket
    assert a.complete([], []).text == "ok"
    assert ProviderLimits(rpm=None).wrap(Echo(), "gpt-4o").__class__ is Echo
