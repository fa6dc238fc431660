"""Fixtures: a fake Alpaca server on 127.0.0.1, a fake monotonic clock, brokers on them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from tests.integration.alpaca.fake_alpaca import FakeAlpaca

from tradepit.broker.alpaca import AlpacaBroker
from tradepit.broker.resilience import Backoff, CircuitBreaker, RateLimiter, Resilience
from tradepit.clock import ReplayClock
from tradepit.config import AlpacaSettings

NOW = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)


class FakeTime:
    """monotonic() and sleep() without waiting: sleeping advances the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeAlpaca]:
    server = FakeAlpaca().start()
    yield server
    server.stop()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_resilience(t: FakeTime, attempts: int = 4) -> Resilience:
    return Resilience(
        "test",
        max_attempts=attempts,
        backoff=Backoff(base=0.5, cap=8.0),
        breaker=CircuitBreaker("test", threshold=5, cooldown=60.0, monotonic=t.monotonic),
        limiter=RateLimiter(180, 60.0, monotonic=t.monotonic, sleep=t.sleep),
        sleep=t.sleep,
        rng=random.Random(7),
    )


@pytest.fixture
def make_broker(fake: FakeAlpaca, fake_time: FakeTime) -> Callable[..., AlpacaBroker]:
    def build(attempts: int = 4, timeout: float = 0.3) -> AlpacaBroker:
        settings = AlpacaSettings(api_key="test-key", secret_key="test-secret", base_url=fake.url)
        return AlpacaBroker(
            settings,
            clock=ReplayClock(NOW),
            resilience=make_resilience(fake_time, attempts),
            timeout=timeout,
            monotonic=fake_time.monotonic,
        )

    return build
