"""Socket Mode under watch. slack_sdk's Socket Mode client reconnects forever, every ping
interval, when the websocket cannot be opened (an unreachable URL, a network outage): the
bot would log an error every 10 s and never stop. `SocketWatch.wait` gives up with
`SlackConnectionError` after `attempts` failed connections in a row or `timeout_s` without
a connection, so the process exits non-zero and a supervisor (or a person) sees it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from tradepit.domain.errors import TradepitError


class SlackConnectionError(TradepitError):
    """Slack's Socket Mode could not be reached for too long (`tradepit slack` stops).
    Check the network and TRADEPIT_SLACK_APP_TOKEN, then start it again; a supervisor
    that restarts it on a non-zero exit gets the same limits each time."""


class SocketWatch:
    """Counts the connection failures a Socket Mode `client` reports (its
    ``on_error_listeners``) while it is not connected, and how long it has been down.
    `wait()` blocks while the bot serves; it raises SlackConnectionError when either limit
    is reached (a connection resets both)."""

    def __init__(
        self,
        client: Any,
        attempts: int,
        timeout_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        poll_s: float = 0.2,
    ) -> None:
        self.client, self.attempts, self.timeout_s = client, attempts, timeout_s
        self.monotonic, self.poll_s = monotonic, poll_s
        self.failures = 0
        self.last_error = ""
        self._lock = threading.Lock()
        client.on_error_listeners.append(self._on_error)

    def _on_error(self, error: Exception) -> None:
        if self.client.is_connected():  # an error of a live session: it reconnects itself
            return
        with self._lock:
            self.failures += 1
            self.last_error = f"{type(error).__name__}: {error}"

    def wait(self, stop: threading.Event | None = None) -> None:
        """Until `stop` is set; SlackConnectionError when Slack stays out of reach."""
        stop = stop or threading.Event()
        down_since: float | None = None
        while not stop.wait(self.poll_s):
            if self.client.is_connected():
                down_since = None
                with self._lock:
                    self.failures = 0
                continue
            now = self.monotonic()
            down_since = now if down_since is None else down_since
            with self._lock:
                failures, last = self.failures, self.last_error
            if failures >= self.attempts or now - down_since >= self.timeout_s:
                raise SlackConnectionError(
                    f"no Slack Socket Mode connection: {failures} failed attempt(s) in "
                    f"{now - down_since:.0f} s (last error: {last or 'none reported'}); "
                    "check the network and TRADEPIT_SLACK_APP_TOKEN"
                )
