"""Account leases: one writer per paper account, across processes and hosts.

A paper broker keeps its account in memory and saves it after every change, so two
processes on one account would each overwrite the other's orders. The process that opens
the broker holds the account's lease until it closes it; another waits up to a timeout and
then gets AccountInUseError.

SQLite: an exclusive `flock` on ``<database>-locks/<account>-<hash>.lock`` beside the
database file. PostgreSQL: a session-level advisory lock keyed by (schema, account) on a
dedicated autocommit connection kept open while the lease is held. Either is released by
the OS or the server when the process dies. An in-memory SQLite database is private to its
process: no lease. Without `fcntl` (Windows) the SQLite lease is not enforced.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from tradepit.domain.errors import AccountInUseError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

POLL_S = 0.05
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


class Lease(Protocol):
    def acquire(self, timeout_s: float) -> None: ...

    def release(self) -> None: ...


def lease_for(engine: Engine, account_id: str) -> Lease:
    """The lease of `account_id` on the database of `engine` (not yet acquired)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine, account_id)
    path = lock_path(engine.url.database, account_id)
    return FileLease(path, account_id) if path is not None else NoLease()


def lock_path(database: str | None, account_id: str) -> Path | None:
    """The lock file of `account_id` for the SQLite file `database` (None: in memory)."""
    if database in (None, "", ":memory:"):
        return None
    db = Path(database).expanduser().resolve()  # type: ignore[arg-type]
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", account_id)[:64]
    digest = hashlib.sha256(account_id.encode()).hexdigest()[:12]
    return db.parent / f"{db.name}-locks" / f"{safe}-{digest}.lock"


def advisory_key(schema: str, account_id: str) -> int:
    """A signed 64-bit advisory lock key for the account in `schema`."""
    digest = hashlib.blake2b(f"tradepit-account\0{schema}\0{account_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def wait_for(take: Callable[[], bool], account_id: str, timeout_s: float) -> None:
    """Call `take` until it returns True; AccountInUseError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    if take():
        return
    log.info("waiting for paper account %s (another process has it open)", account_id)
    while time.monotonic() < deadline:
        time.sleep(POLL_S)
        if take():
            return
    raise AccountInUseError(account_id, timeout_s)


class NoLease:
    def acquire(self, timeout_s: float) -> None:
        return None

    def release(self) -> None:
        return None


class FileLease:
    """An exclusive `flock` on `path` (a second open file of the same process conflicts
    too: flock locks belong to the open file, not the process)."""

    def __init__(self, path: Path, account_id: str) -> None:
        self.path, self.account_id = path, account_id
        self._file: IO[str] | None = None

    def acquire(self, timeout_s: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        if fcntl is not None:
            try:
                wait_for(lambda: _try_flock(handle), self.account_id, timeout_s)
            except BaseException:
                handle.close()
                raise
        self._file = handle

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()  # closing the file releases the flock


def _try_flock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class AdvisoryLease:
    """`pg_try_advisory_lock` on a connection of its own, held until `release`."""

    def __init__(self, engine: Engine, account_id: str) -> None:
        self.engine, self.account_id = engine, account_id
        self._connection: Connection | None = None
        self._key = 0

    def acquire(self, timeout_s: float) -> None:
        connection = self.engine.connect()
        try:
            connection.execution_options(isolation_level="AUTOCOMMIT")  # never idle in a txn
            schema = connection.scalar(text("SELECT current_schema()")) or ""
            key = advisory_key(schema, self.account_id)
            wait_for(
                lambda: bool(connection.scalar(_TRY_LOCK, {"key": key})),
                self.account_id,
                timeout_s,
            )
        except BaseException:
            connection.invalidate()  # it may hold the lock already: end its session
            connection.close()
            raise
        self._connection, self._key = connection, key

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(_UNLOCK, {"key": self._key})
        except SQLAlchemyError:
            log.warning("could not unlock account %s: dropping its connection", self.account_id)
            connection.invalidate()  # the server ends the session, and its lock with it
        finally:
            connection.close()
