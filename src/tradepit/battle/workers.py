"""Worker processes: a `Group` of competitors in a forked child, driven tick by tick over a
pipe. Offline models are CPU-bound Python (graph, tools, broker); threads share one core
under the GIL, processes use them all.

The child is forked after the sample's records exist, so it inherits the loaded data, the
imported modules and the backend factory; it opens its own connection to the database
(never the parent's) and flushes its competitors' records once per tick. Messages: the
parent sends ``("tick", n, when, snapshot)`` or ``("stop",)``; the child answers
``("ok", standings)`` or ``("error", description)``. Any failure in a child fails the
battle loudly in the parent.

A worker lives only as long as its parent: it ignores SIGINT (Ctrl-C reaches the whole
process group; the parent finishes the tick and stops the workers, see `battle.stop`),
closes the parent's ends of every pipe it inherited (so a parent that goes away is an EOF,
on which it exits) and, on Linux, asks to be killed when the parent dies
(``PR_SET_PDEATHSIG``: also in the middle of a tick).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import pandas as pd

from tradepit.battle.group import Group, Standing
from tradepit.domain.errors import TradepitError
from tradepit.storage import Store

log = logging.getLogger(__name__)

GroupFactory = Callable[[Store], Group]
_PARENT_ENDS: set[Connection] = set()
"""This process's ends of its workers' pipes (a worker closes the ones it inherited)."""
_PR_SET_PDEATHSIG = 1


class WorkerError(TradepitError):
    """A battle worker process failed. The battle is marked failed; see the message for
    the worker's traceback."""


def can_fork(store: Store) -> bool:
    """Worker processes need fork and a database other processes can open."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    url = store.engine.url
    return url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _bind_to_parent(parent_pid: int) -> None:
    """The worker's lifetime is its parent's (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, if it had one
    for end in _PARENT_ENDS:
        end.close()
    _PARENT_ENDS.clear()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    if os.getppid() != parent_pid:  # the parent died before the backstop was set
        os._exit(1)


def _serve(conn: Connection, parent: Store, url: str, make: GroupFactory, parent_pid: int) -> None:
    _bind_to_parent(parent_pid)
    parent.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    store = Store.from_url(url)
    group = None
    try:
        group = make(store)
        conn.send(("ready",))
        while True:
            message = conn.recv()
            if message[0] == "stop":
                break
            _, n, when, snapshot = message
            conn.send(("ok", group.tick(n, when, snapshot)))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        log.debug("battle worker: the parent went away")
    except BaseException as e:
        log.exception("battle worker failed")
        try:
            conn.send(("error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))
        except OSError:
            log.debug("battle worker: the parent went away before the error")
    finally:
        if group is not None:
            group.close()
        store.close()
        conn.close()


class ProcessGroup:
    """A `Group` in a forked child (see the module docstring)."""

    def __init__(self, parent: Store, make: GroupFactory, name: str) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        url = parent.engine.url.render_as_string(hide_password=False)
        self.process = context.Process(
            target=_serve, args=(child, parent, url, make, os.getpid()), name=name, daemon=True
        )
        _PARENT_ENDS.add(self._conn)  # before the fork: the child closes it too
        try:
            self.process.start()
        except BaseException:
            _PARENT_ENDS.discard(self._conn)
            raise
        finally:
            child.close()
        try:
            self._expect("ready")
        except BaseException:
            self.close()
            raise

    def _expect(self, kind: str) -> Any:
        try:
            message = self._conn.recv()
        except (EOFError, ConnectionResetError) as e:  # a killed worker: either, by timing
            raise self._exited() from e
        if message[0] == "error":
            raise WorkerError(f"{self.process.name} failed: {message[1]}")
        if message[0] != kind:
            raise WorkerError(f"{self.process.name}: unexpected {message[0]!r}")
        return message[1] if len(message) > 1 else None

    def send(self, n: int, when: pd.Timestamp, snapshot: Any | None) -> None:
        try:
            self._conn.send(("tick", n, when, snapshot))
        except (BrokenPipeError, ConnectionResetError) as e:
            raise self._exited() from e

    def _exited(self) -> WorkerError:
        """The error of a worker whose pipe broke, with its exit code when it is going."""
        self.process.join(timeout=5)
        return WorkerError(f"{self.process.name} exited ({self.process.exitcode})")

    def receive(self) -> list[Standing]:
        return self._expect("ok")

    def close(self) -> None:
        if self.process.is_alive():
            try:
                self._conn.send(("stop",))
            except (BrokenPipeError, OSError):
                log.debug("%s already gone", self.process.name)
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()
        _PARENT_ENDS.discard(self._conn)
        self._conn.close()


class LocalGroup:
    """The same interface for the group in the runner's own process."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self._pending: tuple[int, pd.Timestamp, Any] | None = None

    def send(self, n: int, when: pd.Timestamp, snapshot: Any | None) -> None:
        self._pending = (n, when, snapshot)

    def receive(self) -> list[Standing]:
        if self._pending is None:
            raise WorkerError("receive() without send()")
        n, when, snapshot = self._pending
        self._pending = None
        return self.group.tick(n, when, snapshot)

    def close(self) -> None:
        self.group.close()
