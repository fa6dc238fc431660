"""`StopSignals` with real signals to this process: the first asks the battle to stop,
the second interrupts at once, an ignored SIGINT stays ignored, handlers are restored; off
the main thread it installs nothing."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from tradepit.battle.stop import StopSignals


def deliver(sig: int) -> None:
    os.kill(os.getpid(), sig)
    time.sleep(0.01)  # the handler runs in the main thread, between bytecodes


def test_first_signal_stops_second_interrupts_handlers_restored():
    before = {s: signal.getsignal(s) for s in StopSignals.SIGNALS}
    with StopSignals() as stop:
        assert not stop.event.is_set() and stop.exit_code == 130
        deliver(signal.SIGTERM)
        assert stop.event.is_set() and stop.signum == signal.SIGTERM
        assert stop.exit_code == 143
        with pytest.raises(KeyboardInterrupt):
            deliver(signal.SIGINT)
        assert stop.signum == signal.SIGTERM  # the first one decides the exit code
    assert {s: signal.getsignal(s) for s in StopSignals.SIGNALS} == before


def test_an_ignored_sigint_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with StopSignals() as stop:
            deliver(signal.SIGINT)
            assert not stop.event.is_set()
            deliver(signal.SIGTERM)
            assert stop.event.is_set() and stop.exit_code == 143
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_off_the_main_thread_no_handler_is_installed():
    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def enter() -> None:
        with StopSignals() as stop:
            seen.append(signal.getsignal(signal.SIGTERM))
            stop.event.set()
            seen.append(stop.exit_code)

    worker = threading.Thread(target=enter)
    worker.start()
    worker.join()
    assert seen == [before, 130]
