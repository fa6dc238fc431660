"""NotificationHub: severity routing, failures logged and counted but never raised, the typed
error on request, and background delivery."""

from __future__ import annotations

import logging
import threading

import pytest
from tests.unit.integrations import events_factory as ev

from tradepit.integrations.events import Severity
from tradepit.integrations.hub import (
    BackgroundPublisher,
    NotificationFailedError,
    NotificationHub,
    Route,
)
from tradepit.integrations.notify import NotifyError, NotifyRejectedError
from tradepit.integrations.redact import Redactor

SECRET = "sk-live-0123456789abcdef"


class Recording:
    def __init__(self, name: str, fail: BaseException | None = None) -> None:
        self.name = name
        self.fail = fail
        self.events: list = []
        self.closed = False

    def send(self, event) -> None:
        if self.fail is not None:
            raise self.fail
        self.events.append(event)

    def close(self) -> None:
        self.closed = True


def test_severity_routing():
    main, alerts = Recording("main"), Recording("alerts")
    summaries = Recording("summaries")
    hub = NotificationHub(
        [
            Route(main, Severity.INFO.and_above()),
            Route(alerts, Severity.CRITICAL.and_above()),
            Route(summaries, kinds=frozenset({"battle_finished"})),
        ]
    )
    for event in (ev.filled(), ev.rejected(), ev.halted(), ev.outage(), ev.battle()):
        report = hub.publish(event)
        assert report.ok
    assert [e.kind for e in main.events] == [
        "order_filled",
        "order_rejected",
        "risk_state_changed",
        "service_alert",
        "battle_finished",
    ]
    assert [e.kind for e in alerts.events] == ["risk_state_changed", "service_alert"]
    assert [e.kind for e in summaries.events] == ["battle_finished"]
    assert hub.stats()["alerts"].sent == 2 and hub.failures_total == 0
    hub.close()
    assert main.closed and alerts.closed and summaries.closed


def test_warning_only_route():
    warn = Recording("warn")
    hub = NotificationHub([Route(warn, frozenset({Severity.WARNING}))])
    assert hub.publish(ev.filled()).delivered == ()
    assert hub.publish(ev.rejected()).delivered == ("warn",)
    assert hub.publish(ev.halted()).delivered == ()


def test_a_failing_target_never_breaks_the_others(caplog):
    caplog.set_level(logging.DEBUG)
    good = Recording("good")
    refused = Recording("refused", NotifyRejectedError("refused", "channel_not_found", 404))
    buggy = Recording("buggy", RuntimeError(f"formatter crashed on key={SECRET}"))
    hub = NotificationHub([Route(refused), Route(buggy), Route(good)], redactor=Redactor([SECRET]))
    report = hub.publish(ev.halted())  # does not raise
    assert report.delivered == ("good",) and not report.ok
    assert set(report.failures) == {"refused", "buggy"}
    assert report.failures["refused"].code == "channel_not_found"
    unexpected = report.failures["buggy"]
    assert type(unexpected) is NotifyError
    assert str(unexpected) == "buggy: unexpected RuntimeError: formatter crashed on key=[redacted]"
    with pytest.raises(NotificationFailedError) as caught:
        report.raise_for_failures()
    assert set(caught.value.failures) == {"refused", "buggy"}
    stats = hub.stats()
    assert (stats["good"].sent, stats["good"].failed) == (1, 0)
    assert (stats["refused"].failed, stats["buggy"].failed) == (1, 1)
    assert stats["refused"].last_error == "refused: HTTP 404: channel_not_found"
    assert hub.failures_total == 2
    warnings = [r.getMessage() for r in caplog.records if r.name == "tradepit.integrations.hub"]
    assert len(warnings) == 2 and all("risk_state_changed" in m for m in warnings)
    assert not any(SECRET in r.getMessage() for r in caplog.records)
    assert hub.publish(ev.filled()).delivered == ("good",)
    assert hub.failures_total == 4


def test_background_publisher_delivers_everything_then_stops():
    target = Recording("t")
    publisher = BackgroundPublisher(NotificationHub([Route(target)]))
    events = [ev.filled() for _ in range(20)]
    assert all(publisher.submit(e) for e in events)
    publisher.close()
    assert len(target.events) == 20 and publisher.dropped == 0


def test_background_publisher_drops_when_full():
    gate = threading.Event()
    entered = threading.Event()

    class Slow(Recording):
        def send(self, event) -> None:
            entered.set()
            gate.wait(5)
            super().send(event)

    slow = Slow("slow")
    publisher = BackgroundPublisher(NotificationHub([Route(slow)]), maxsize=1)
    assert publisher.submit(ev.filled())  # taken by the worker, which blocks
    assert entered.wait(5)
    assert publisher.submit(ev.rejected())  # fills the queue
    assert not publisher.submit(ev.halted())  # dropped, the caller did not wait
    assert publisher.dropped == 1
    gate.set()
    publisher.close()
    assert [e.kind for e in slow.events] == ["order_filled", "order_rejected"]
