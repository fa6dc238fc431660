"""The account lease: one holder per paper account, across Stores, threads and processes,
on SQLite (flock beside the database file) and PostgreSQL (advisory lock)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy.engine import make_url

from tradepit.config import normalise_database_url
from tradepit.domain.errors import AccountInUseError
from tradepit.storage import Store
from tradepit.storage.lease import lock_path

HOLD = """
import sys, time
from tradepit.storage import Store
store = Store.from_url(sys.argv[1])
with store.account_lease(sys.argv[2], 30):
    print("held", flush=True)
    time.sleep(120)
"""


def url_of(database) -> str:
    """`database` as one URL another process can open (the test schema in its options)."""
    options = database.engine_options.get("connect_args", {}).get("options")
    if options is None:
        return database.url
    url = make_url(normalise_database_url(database.url)).update_query_dict({"options": options})
    return url.render_as_string(hide_password=False)


def test_a_held_account_is_refused_after_the_timeout_and_free_after_release(database):
    first, second = database.open(), database.open()
    try:
        with first.account_lease("acct-1", 5):
            started = time.monotonic()
            with pytest.raises(AccountInUseError) as refused, second.account_lease("acct-1", 0.3):
                pytest.fail("a second holder got the lease")
            assert time.monotonic() - started >= 0.3
            assert refused.value.account_id == "acct-1"
            assert "'acct-1' is in use by another tradepit process" in str(refused.value)
            with second.account_lease("acct-2", 0):  # another account is not held
                pass
        with second.account_lease("acct-1", 0):  # released on exit
            pass
    finally:
        first.close()
        second.close()


def test_a_waiting_holder_gets_the_account_when_the_first_lets_go(database):
    first, second = database.open(), database.open()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with first.account_lease("acct-1", 5):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        threading.Timer(0.4, release.set).start()
        started = time.monotonic()
        with second.account_lease("acct-1", 10):
            assert release.is_set()
        assert time.monotonic() - started >= 0.35
    finally:
        release.set()
        holder.join()
        first.close()
        second.close()


def test_the_lease_spans_processes_and_dies_with_its_holder(database):
    """Another process holds the account: refused here; killed, the OS (SQLite) or the
    server (PostgreSQL) drops its lease at once."""
    url = url_of(database)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, url, "acct-1"], stdout=subprocess.PIPE, text=True
    )
    store = database.open()
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(AccountInUseError), store.account_lease("acct-1", 0.3):
            pytest.fail("the account was held by the child")
        child.kill()
        child.wait(10)
        with store.account_lease("acct-1", 5):
            pass
    finally:
        child.kill()
        child.wait(10)
        store.close()


def test_an_in_memory_database_needs_no_lease():
    store = Store.from_url("sqlite://")
    with store.account_lease("acct-1", 0), store.account_lease("acct-1", 0):
        pass  # private to this process: nothing to share, nothing to wait for
    store.close()


def test_the_sqlite_lock_file_sits_beside_the_database(tmp_path):
    path = lock_path(str(tmp_path / "tradepit.db"), "paper-run/with:odd chars")
    assert path.parent == tmp_path / "tradepit.db-locks"
    assert path.name.startswith("paper-run_with_odd_chars-")
    assert lock_path(str(tmp_path / "tradepit.db"), "paper-run_with_odd_chars") != path
