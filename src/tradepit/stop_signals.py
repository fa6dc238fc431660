"""Graceful stops on SIGINT / SIGTERM, for the autonomous loop and for battles.

The first signal sets an event that the caller checks between cycles or ticks (the work in
hand finishes); a second one of `at_once` raises KeyboardInterrupt. A signal ignored when
entering (SIGINT of a background job) stays ignored. Handlers are installed from the main
thread only (elsewhere the event is only set by hand) and restored on exit.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable
from types import FrameType
from typing import Any, Self

log = logging.getLogger(__name__)


class StopSignals:
    """A context manager: `event` is set by the first SIGINT or SIGTERM, remembered in
    `signum`; `message` (fields `name`, `number`: the signal's) is logged when it is."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(
        self,
        message: str = "{name}: the battle stops after the current tick (again to stop at once)",
        event: threading.Event | None = None,
        at_once: Iterable[int] = SIGNALS,
    ) -> None:
        self.event = event if event is not None else threading.Event()
        self.message = message
        self.at_once = frozenset(at_once)
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
        if self.event.is_set() and signum in self.at_once:
            raise KeyboardInterrupt
        if self.event.is_set():
            return
        self.signum = signum
        log.warning(self.message.format(name=signal.Signals(signum).name, number=signum))
        self.event.set()
