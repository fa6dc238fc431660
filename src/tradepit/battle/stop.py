"""Stopping a battle before its last tick.

`BattleRunner` checks its ``stop`` event before every tick: once it is set, the battle ends
at that tick boundary (every competitor has run the same ticks), is recorded as aborted
and `BattleInterrupted` is raised. `StopSignals` sets that event on SIGINT or SIGTERM,
like the autonomous loop's stop handlers; a second signal interrupts at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any, Self

from tradepit.domain.errors import TradepitError

log = logging.getLogger(__name__)


class BattleInterrupted(TradepitError):
    """The battle stopped before its last tick (a stop request or a signal). It is recorded
    as aborted: incomplete, and it cannot be resumed."""


class StopSignals:
    """SIGINT and SIGTERM set `event` (the battle stops after its current tick) and the
    first one is remembered in `signum`; a second one raises KeyboardInterrupt. A signal
    ignored when entering (SIGINT of a background job) stays ignored. Handlers are installed
    from the main thread only (elsewhere `event` is only set by hand) and restored on exit."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Self:
        if threading.current_thread() is not threading.main_thread():
            return self
        for sig in self.SIGNALS:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, signal.SIG_DFL if old is None else old)
        self._previous.clear()

    @property
    def exit_code(self) -> int:
        """128 + the first signal: 130 for SIGINT (also without a signal), 143 for SIGTERM."""
        return 128 + (self.signum or signal.SIGINT)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.signum = signum
        log.warning(
            "%s: the battle stops after the current tick (again to stop at once)",
            signal.Signals(signum).name,
        )
        self.event.set()
