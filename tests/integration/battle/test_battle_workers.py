"""Battle worker processes live only as long as their parent: they hold no parent end of
any pipe (a parent that goes away is an EOF), die with a parent killed in the middle of a
tick, and leave Ctrl-C (SIGINT to the whole process group) to the parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.integration.battle.procs import gone

from tradepit.battle.workers import ProcessGroup
from tradepit.storage import Store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


class Idle:
    """A group whose tick answers at once, or sleeps `seconds` first."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds

    def tick(self, n, when, snapshot):
        time.sleep(self.seconds)
        return [n]

    def close(self) -> None:
        pass


def sockets(pid: int) -> set[str]:
    fds = Path(f"/proc/{pid}/fd")
    return {os.readlink(fd) for fd in fds.iterdir() if os.readlink(fd).startswith("socket:")}


def inode(conn) -> str:
    return f"socket:[{os.fstat(conn.fileno()).st_ino}]"


def test_a_worker_holds_no_parent_end_of_any_pipe(tmp_path):
    store = Store.from_url(f"sqlite:///{tmp_path / 'w.db'}")
    groups = [ProcessGroup(store, lambda s: Idle(), f"w{k}") for k in (1, 2)]
    try:
        parent_ends = {inode(g._conn) for g in groups}
        for g in groups:
            assert not sockets(g.process.pid) & parent_ends
            g.send(0, None, None)
            assert g.receive() == [0]
    finally:
        for g in groups:
            g.close()
        store.close()


def test_a_worker_ignores_ctrl_c_and_finishes_its_tick(tmp_path):
    store = Store.from_url(f"sqlite:///{tmp_path / 'w.db'}")
    group = ProcessGroup(store, lambda s: Idle(0.5), "w1")
    try:
        group.send(0, None, None)
        time.sleep(0.1)
        os.kill(group.process.pid, signal.SIGINT)  # what Ctrl-C sends the whole group
        assert group.receive() == [0]
        group.send(1, None, None)
        assert group.receive() == [1]
    finally:
        group.close()
        store.close()
    assert group.process.exitcode == 0


PARENT = """
import sys, time
from tradepit.battle.workers import ProcessGroup
from tradepit.storage import Store

class Busy:
    def tick(self, n, when, snapshot):
        time.sleep(3600)

    def close(self):
        pass

group = ProcessGroup(Store.from_url(sys.argv[1]), lambda s: Busy(), "w1")
if sys.argv[2] == "mid-tick":
    group.send(0, None, None)
print(group.process.pid, flush=True)
time.sleep(3600)
"""


@pytest.mark.parametrize("state", ["idle", "mid-tick"])
def test_a_worker_dies_with_its_killed_parent(tmp_path, state):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, f"sqlite:///{tmp_path / 'w.db'}", state],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    worker = None
    try:
        worker = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert gone(worker, timeout=10), f"worker {worker} outlived its parent ({state})"
    finally:
        parent.kill()
        if worker is not None and not gone(worker, 0):
            os.kill(worker, signal.SIGKILL)


def test_a_killed_worker_is_a_worker_error_however_the_pipe_breaks(tmp_path):
    """Killed with a message it had not read yet, a worker leaves a reset connection, not
    an EOF: the battle failed with 'Connection reset by peer' instead of being stopped."""
    from tradepit.battle.workers import WorkerError

    store = Store.from_url(f"sqlite:///{tmp_path / 'w.db'}")
    group = ProcessGroup(store, lambda s: Idle(30), "w1")
    try:
        group.send(0, None, None)
        group.send(1, None, None)  # unread while it sleeps in tick 0
        time.sleep(0.2)
        os.kill(group.process.pid, signal.SIGKILL)
        with pytest.raises(WorkerError, match="exited"):
            group.receive()
        with pytest.raises(WorkerError, match="exited"):
            group.send(2, None, None)
    finally:
        group.close()
        store.close()
