"""Several real tradepit processes on one paper account take turns (the account lease):
every fill a process reported is in the account, no order id is handed out twice, the
same run started twice runs its cycles once; a process that waits too long gives up with
one error line and saves nothing; `positions` reads a held account. SQLite, and
PostgreSQL (a throwaway schema) when TRADEPIT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.pg_schema import throwaway_schema

from tradepit.agent.service import chat_run
from tradepit.bootstrap import open_app
from tradepit.config import Settings
from tradepit.storage import Store

pytestmark = pytest.mark.slow

CLI = "from tradepit.cli import app; app()"
ACCOUNT = "paper-default"
FILLED = re.compile(r"\(id (paper-default-o\d+)\): filled 1 at")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The database every process of a test opens: SQLite under the home, or a fresh
    PostgreSQL schema (search_path in the URL; the checkpoints live there too)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'home' / 'tradepit.db'}"
        return
    with throwaway_schema("tradepit_lease") as url:
        yield url


def env(home: Path, url: str, wait_s: float) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("TRADEPIT_")}
    return out | {
        "TRADEPIT_HOME": str(home),
        "TRADEPIT_DATABASE_URL": url,
        "TRADEPIT_MEMORY_BACKEND": "off",
        "TRADEPIT_ACCOUNT_LOCK_TIMEOUT_S": str(wait_s),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "HF_HUB_OFFLINE": "1",
    }


def tradepit(environ: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen, timeout: float = 600) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def test_concurrent_asks_each_fill_lands_in_the_account(database_url: str, tmp_path: Path):
    """The tester's case on a fresh home: four `ask "buy 1 MSFT"` at once (with a wait
    long enough for any machine load, they all take their turn)."""
    environ = env(tmp_path / "home", database_url, wait_s=300)
    procs = [tradepit(environ, "ask", "buy 1 MSFT", "--session", f"s{i}") for i in range(4)]
    results = [finish(p) for p in procs]
    reported = []
    for code, out, err in results:
        assert code == 0, err
        reported += FILLED.findall(" ".join(out.split()))
    assert len(reported) == 4 and len(set(reported)) == 4  # one fill each, ids not reused

    store = Store.from_url(database_url)
    try:
        ledger = store.load_ledger(ACCOUNT)
        fills = store.list_fills(ACCOUNT)
    finally:
        store.close()
    orders = {o.id: o for o in ledger.orders}
    assert all(orders[i].status == "filled" and orders[i].filled_qty == 1 for i in reported)
    assert sorted(f.order_id for f in fills) == sorted(reported)
    assert len({f.id for f in fills}) == 4
    assert [(p.symbol, p.qty) for p in ledger.positions] == [("MSFT", 4)]


def test_a_process_that_waits_too_long_gives_up_and_saves_nothing(
    database_url: str, tmp_path: Path
):
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=database_url, memory_backend="off")
    with open_app(settings) as app:
        app.service.chat("seed", "buy 2 MSFT")
    store = Store.from_url(database_url)
    try:
        before = store.load_ledger(ACCOUNT)
        with store.account_lease(ACCOUNT, 5):  # this process has the account open
            environ = env(home, database_url, wait_s=0.5)
            code, out, err = finish(tradepit(environ, "ask", "buy 1 MSFT", "--session", "late"))
            shown = finish(tradepit(environ, "positions", "--json"))
        after = store.load_ledger(ACCOUNT)
        decisions = store.list_decisions(chat_run("late"))
    finally:
        store.close()
    assert code == 1 and out == ""
    message = " ".join(err.split())
    assert message == (
        "error: paper account 'paper-default' is in use by another tradepit process "
        "(waited 0.5s; TRADEPIT_ACCOUNT_LOCK_TIMEOUT_S sets the wait)"
    )
    assert after == before and decisions == []  # nothing of the refused process was saved
    assert shown[0] == 0, shown[2]  # read-only commands need no lease
    assert [(p["symbol"], p["qty"]) for p in json.loads(shown[1])] == [("MSFT", "2")]


RUN = ["run", "--model", "rules:supertrend", "--symbols", "SPX", "--start", "2018-01-02",
       "--end", "2018-02-28", "--run-id", "twice"]  # fmt: skip


def test_the_same_run_started_twice_runs_its_cycles_once(tmp_path: Path):
    """Both processes wait their turn: the second finds the run done (it loaded the first's
    ledger and journal after taking the account), so nothing runs twice."""
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'tradepit.db'}"
    environ = env(home, url, wait_s=300)
    results = [finish(p) for p in [tradepit(environ, *RUN), tradepit(environ, *RUN)]]
    for code, _, err in results:
        assert code == 0, err
    cycles = sorted(int(re.search(r": (\d+) cycle", out)[1]) for _, out, _ in results)
    assert cycles[0] == 0 and cycles[1] > 30

    store = Store.from_url(url)
    try:
        decisions = store.list_decisions("twice")
        ledger = store.load_ledger("paper-twice")
        fills = store.list_fills("paper-twice")
    finally:
        store.close()
    assert sorted({d.decision.cycle for d in decisions}) == list(range(cycles[1]))
    assert len(decisions) == cycles[1]  # one decision per cycle (one symbol)
    flat = [leg for order in ledger.orders for leg in (order, *order.legs)]
    assert len({o.id for o in flat}) == len(flat) and len({f.id for f in fills}) == len(fills)
    filled = {o.id: o.filled_qty for o in flat if o.filled_qty}
    per_order: dict[str, int] = {}
    for fill in fills:
        per_order[fill.order_id] = per_order.get(fill.order_id, 0) + fill.qty
    assert per_order == filled  # every fill belongs to an order that counts it
