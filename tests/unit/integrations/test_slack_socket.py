"""`SocketWatch`: Socket Mode gives up after N failed connections in a row or a time
without a connection; a connection resets both; errors of a live session do not count."""

from __future__ import annotations

import threading

import pytest

from tradepit.integrations.slack_socket import SlackConnectionError, SocketWatch


class FakeClient:
    """What SocketWatch uses of slack_sdk's SocketModeClient."""

    def __init__(self) -> None:
        self.on_error_listeners: list = []
        self.connected = False

    def is_connected(self) -> bool:
        return self.connected

    def fail(self, error: Exception) -> None:
        for listener in self.on_error_listeners:
            listener(error)


class Time:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0  # each poll: one second later
        return self.now


def watch(client: FakeClient, attempts: int = 3, timeout_s: float = 1000) -> SocketWatch:
    return SocketWatch(client, attempts, timeout_s, monotonic=Time(), poll_s=0.001)


def test_gives_up_after_the_failed_attempts():
    client = FakeClient()
    watcher = watch(client)
    for _ in range(3):
        client.fail(OSError("[Errno 111] Connection refused"))
    with pytest.raises(SlackConnectionError, match="3 failed attempt") as raised:
        watcher.wait()
    assert "last error: OSError: [Errno 111] Connection refused" in str(raised.value)


def test_gives_up_after_the_time_without_a_connection():
    client = FakeClient()
    watcher = watch(client, attempts=100, timeout_s=5)
    client.fail(OSError("down"))
    with pytest.raises(SlackConnectionError, match="1 failed attempt"):
        watcher.wait()


def test_a_connection_resets_the_count_and_live_session_errors_do_not_count():
    client = FakeClient()
    watcher = watch(client, attempts=2)
    client.fail(OSError("first"))
    client.connected = True
    client.fail(OSError("a live session's hiccup"))
    stop = threading.Event()
    polls = {"n": 0}

    def connected_for_a_while() -> bool:
        polls["n"] += 1
        if polls["n"] > 20:
            stop.set()
        return True

    client.is_connected = connected_for_a_while  # type: ignore[method-assign]
    watcher.wait(stop)  # returns: stopped, never gave up
    assert watcher.failures == 0
