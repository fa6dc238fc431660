"""One open session per conversation: an exclusive OS file lock per thread id under
`home/chat_ui/locks`, held while a `ChatSession` is open.

A conversation owns a paper account whose ledger the broker keeps in memory; two open
sessions on one conversation (two windows, or two servers on one home) would each write
their own view of it. `flock` locks are released by the OS when a process dies, so a crash
leaves nothing stale. Without `fcntl` (Windows) the lock is not enforced.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import IO

from tradepit.domain.errors import TradepitError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class ConversationBusyError(TradepitError):
    """The conversation is open in another window or process. Close it there (or wait for
    its turn to finish), then reload."""


class ThreadLock:
    def __init__(self, directory: Path, thread_id: str) -> None:
        self.path = directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', thread_id)}.lock"
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self, timeout_s: float = 5.0, poll_s: float = 0.05) -> None:
        """Take the lock, waiting up to `timeout_s`; ConversationBusyError if it stays taken."""
        if self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        if fcntl is None:  # pragma: no cover - Windows
            self._file = handle
            return
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise ConversationBusyError(
                        "this conversation is open in another window; close it there first"
                    ) from None
                time.sleep(poll_s)
                continue
            self._file = handle
            return

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()  # closing the file releases the flock
