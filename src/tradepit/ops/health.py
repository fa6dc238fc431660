"""What ``/healthz`` answers: the process's run, its last cycle, trading state and whether
the broker answered. The loop's observer (`tradepit.ops.observer`) updates it after every
cycle; the HTTP thread reads it (`report`). Times are wall-clock (`clock`), except
`market_time`, the tick of the last cycle (a replay's simulated time)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradepit.domain.ports import Clock

OK, STARTING, DEGRADED = "ok", "starting", "degraded"


class Health:
    """Thread-safe state of the process for ``/healthz`` (see the module docstring).

    status: ``starting`` before a run's first cycle, ``degraded`` when the broker did not
    answer or the last cycle aborted or was skipped, else ``ok``. `redact` masks secrets
    in the broker's error before it is served."""

    def __init__(
        self, clock: Clock, command: str = "run", redact: Callable[[str], str] = str
    ) -> None:
        self.clock, self.redact = clock, redact
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {
            "command": command,
            "run": None,
            "started_at": _iso(clock.now()),
            "last_cycle": None,
            "last_cycle_at": None,
            "last_cycle_outcome": None,
            "market_time": None,
            "trading_state": None,
            "broker_reachable": None,
            "broker_checked_at": None,
            "broker_error": None,
        }

    def update(self, **values: Any) -> None:
        with self._lock:
            self._state.update(values)

    def cycle(self, run: str, n: int, outcome: str, market_time: datetime) -> None:
        """A cycle ended (`outcome`: answered, aborted or skipped)."""
        self.update(
            run=run, last_cycle=n, last_cycle_at=_iso(self.clock.now()),
            last_cycle_outcome=outcome, market_time=_iso(market_time),
        )  # fmt: skip

    def broker(self, reachable: bool, error: str | None = None) -> None:
        self.update(
            broker_reachable=reachable, broker_checked_at=_iso(self.clock.now()),
            broker_error=None if error is None else self.redact(error),
        )  # fmt: skip

    def report(self) -> dict[str, Any]:
        """The JSON document of ``/healthz``, with its `status`."""
        with self._lock:
            state = dict(self._state)
        if state["broker_reachable"] is False or state["last_cycle_outcome"] in (
            "aborted",
            "skipped",
        ):
            status = DEGRADED
        elif state["last_cycle"] is None and state["command"] == "run":
            status = STARTING
        else:
            status = OK
        return {"status": status, **state}


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")
