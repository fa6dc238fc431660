"""Per-provider rate limits: a token bucket per provider prefix (``anthropic``, ``openai``,
``xai``...), shared by every competitor of that provider, in front of its backend."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from tradepit.agent.backends.base import AssistantTurn, ModelBackend

log = logging.getLogger(__name__)


class TokenBucket:
    """`rate` requests per second on average, bursts up to `capacity`. Thread-safe."""

    def __init__(
        self, rate: float, capacity: float = 1.0, clock: Any = time.monotonic, sleep: Any = None
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate, self.capacity = rate, capacity
        self._clock = clock
        self._sleep = sleep or time.sleep
        self._tokens = capacity
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited = 0.0
        """Seconds spent waiting for a token (all callers together)."""

    def _reserve(self) -> float:
        """Take a token (possibly going into debt); returns how long to wait for it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.waited += wait
            return wait

    def acquire(self) -> float:
        """Block until a request may go; returns the seconds waited."""
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


class RateLimitedBackend:
    """A backend whose calls first take a token from its provider's bucket."""

    def __init__(self, inner: ModelBackend, bucket: TokenBucket, provider: str) -> None:
        self.inner, self.bucket, self.provider = inner, bucket, provider
        self.name = inner.name

    def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AssistantTurn:
        waited = self.bucket.acquire()
        if waited > 0:
            log.debug("rate limit: waited %.2fs for %s", waited, self.provider)
        return self.inner.complete(messages, tools)


class ProviderLimits:
    """One bucket per provider prefix, `rpm` requests per minute each (bursts of 1 s)."""

    def __init__(self, rpm: float | None) -> None:
        self.rpm = rpm
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, provider: str) -> TokenBucket | None:
        if self.rpm is None:
            return None
        with self._lock:
            if provider not in self._buckets:
                rate = self.rpm / 60.0
                self._buckets[provider] = TokenBucket(rate, max(1.0, rate))
            return self._buckets[provider]

    def wrap(self, backend: ModelBackend, model: str) -> ModelBackend:
        """`backend` behind its provider's bucket (network models only)."""
        from tradepit.agent.backends.litellm import provider_of

        provider = provider_of(model.partition("@")[0]) or model.partition("@")[2] or "local"
        bucket = self.bucket(provider)
        return backend if bucket is None else RateLimitedBackend(backend, bucket, provider)
