"""Fixtures: recorded Alpaca HTTP (hand-written vcrpy cassettes, replay only) and
adapters wired to them with a fake clock and no real waiting."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import vcr

from tradepit.broker.alpaca import AlpacaBroker
from tradepit.broker.resilience import Backoff, CircuitBreaker, RateLimiter, Resilience
from tradepit.clock import ReplayClock
from tradepit.config import AlpacaSettings

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "alpaca"
NOW = datetime(2024, 11, 26, 21, 0, tzinfo=UTC)
AUTH_HEADERS = ["APCA-API-KEY-ID", "APCA-API-SECRET-KEY", "Authorization"]


def _json_body(r1: Any, r2: Any) -> None:
    """Bodies match when both are empty or parse to the same JSON (key order aside)."""
    a, b = r1.body or b"", r2.body or b""
    if not a or not b:
        assert not a and not b, "one request has a body, the other none"
        return
    assert json.loads(a) == json.loads(b), f"{a!r} != {b!r}"


def _recorder() -> vcr.VCR:
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        filter_headers=AUTH_HEADERS,
        match_on=["method", "scheme", "host", "port", "path", "query", "json_body"],
        decode_compressed_response=True,
    )
    recorder.register_matcher("json_body", _json_body)
    return recorder


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    """`with cassette("name"):` replays tests/cassettes/alpaca/name.yaml; every recorded
    interaction plays once, in order, and an unrecorded request fails the test."""
    recorder = _recorder()
    return lambda name: recorder.use_cassette(f"{name}.yaml", allow_playback_repeats=False)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def resilience(fake_time: FakeTime) -> Resilience:
    t = fake_time
    return Resilience(
        "test",
        max_attempts=3,
        backoff=Backoff(base=0.5, cap=4.0),
        breaker=CircuitBreaker("test", monotonic=t.monotonic),
        limiter=RateLimiter(180, 60.0, monotonic=t.monotonic, sleep=t.sleep),
        sleep=t.sleep,
        rng=random.Random(1),
    )


@pytest.fixture
def settings() -> AlpacaSettings:
    return AlpacaSettings(api_key="test-key", secret_key="test-secret")


@pytest.fixture
def broker(settings: AlpacaSettings, resilience: Resilience, fake_time: FakeTime) -> AlpacaBroker:
    return AlpacaBroker(
        settings, clock=ReplayClock(NOW), resilience=resilience, monotonic=fake_time.monotonic
    )
