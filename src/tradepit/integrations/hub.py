"""Fan-out of events to notifiers, by severity (and optionally by event kind).

`NotificationHub.publish` never raises because a target failed: it logs the failure
(secrets masked), counts it per target and returns a `DeliveryReport` whose
`raise_for_failures()` gives the typed error to callers that want it. A notifier's own bug
is caught the same way: a notification must never break trading.

`BackgroundPublisher` moves delivery (with its retries and waits) off the trading thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from tradepit.integrations.events import NotifyEvent, Severity
from tradepit.integrations.notify import Notifier, NotifyError
from tradepit.integrations.redact import Redactor

log = logging.getLogger(__name__)
ALL_SEVERITIES = frozenset(Severity)


@dataclass(frozen=True)
class Route:
    """Send events of these severities (and kinds; None = every kind) to `notifier`."""

    notifier: Notifier
    severities: frozenset[Severity] = ALL_SEVERITIES
    kinds: frozenset[str] | None = None

    def matches(self, event: NotifyEvent) -> bool:
        kind_ok = self.kinds is None or event.kind in self.kinds
        return kind_ok and event.severity in self.severities


@dataclass(frozen=True)
class TargetStats:
    sent: int = 0
    failed: int = 0
    last_error: str | None = None


class NotificationFailedError(NotifyError):
    """One or more targets did not get an event; ``failures`` maps each target to its
    error. Trading may go on; see each error for what to fix."""

    def __init__(self, failures: Mapping[str, NotifyError]) -> None:
        self.failures = dict(failures)
        super().__init__(", ".join(failures), "; ".join(str(e) for e in failures.values()))


@dataclass(frozen=True)
class DeliveryReport:
    kind: str
    delivered: tuple[str, ...] = ()
    failures: Mapping[str, NotifyError] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def raise_for_failures(self) -> None:
        if self.failures:
            raise NotificationFailedError(self.failures)


class NotificationHub:
    """Routes each event to every matching notifier; thread-safe."""

    def __init__(self, routes: Iterable[Route], redactor: Redactor | None = None) -> None:
        self.routes = tuple(routes)
        self._redactor = redactor or Redactor()
        self._lock = threading.Lock()
        self._stats = {r.notifier.name: TargetStats() for r in self.routes}

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(r.notifier.name for r in self.routes)

    def publish(self, event: NotifyEvent) -> DeliveryReport:
        """Deliver `event` to every matching target; failures are reported, not raised."""
        delivered: list[str] = []
        failures: dict[str, NotifyError] = {}
        for route in self.routes:
            if not route.matches(event):
                continue
            name = route.notifier.name
            try:
                route.notifier.send(event)
            except NotifyError as e:
                failures[name] = e
            except Exception as e:  # noqa: BLE001 - a notifier bug must not break trading
                reason = self._redactor.redact(str(e))[:200]
                failures[name] = NotifyError(name, f"unexpected {type(e).__name__}: {reason}")
            else:
                delivered.append(name)
            self._count(name, failures.get(name), event.kind)
        return DeliveryReport(event.kind, tuple(delivered), MappingProxyType(failures))

    def _count(self, name: str, error: NotifyError | None, kind: str) -> None:
        with self._lock:
            stats = self._stats.get(name, TargetStats())
            if error is None:
                self._stats[name] = replace(stats, sent=stats.sent + 1)
                return
            message = self._redactor.redact(str(error))
            self._stats[name] = replace(stats, failed=stats.failed + 1, last_error=message)
        log.warning(
            "notification %s not delivered: %s",
            kind,
            message,
            extra={"target": name, "event": kind},
        )

    def stats(self) -> dict[str, TargetStats]:
        """Deliveries and failures per target since the hub started."""
        with self._lock:
            return dict(self._stats)

    @property
    def failures_total(self) -> int:
        with self._lock:
            return sum(s.failed for s in self._stats.values())

    def close(self) -> None:
        for route in self.routes:
            route.notifier.close()


class BackgroundPublisher:
    """Publishes on a worker thread so the caller never waits for a target. A full queue
    drops the event (counted in `dropped`, logged): trading never blocks on notifications."""

    def __init__(self, hub: NotificationHub, maxsize: int = 1000) -> None:
        self.hub = hub
        self.dropped = 0
        self._queue: queue.Queue[NotifyEvent | None] = queue.Queue(maxsize)
        self._thread = threading.Thread(target=self._work, name="tradepit-notify", daemon=True)
        self._thread.start()

    def submit(self, event: NotifyEvent) -> bool:
        """Queue `event`; False when the queue is full and the event was dropped."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            log.warning("notification queue full: %s dropped", event.kind)
            return False
        return True

    def _work(self) -> None:
        while (event := self._queue.get()) is not None:
            self.hub.publish(event)

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is queued (up to `timeout_s`), then stop the worker."""
        self._queue.put(None)
        self._thread.join(timeout_s)
