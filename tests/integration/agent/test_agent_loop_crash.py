"""The loop in a real subprocess: killed (SIGKILL) mid-run and restarted, it ends exactly
where an uninterrupted run ends (same cycles once each, same orders, same fills); SIGTERM
stops it gracefully after the current cycle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tradepit.cli_agent import register
from tradepit.domain.errors import StoreError
from tradepit.storage import Store

pytestmark = pytest.mark.slow

RUN = ["run", "--model", "rules:supertrend", "--symbols", "SPX,IXIC", "--interval", "1d",
       "--start", "2018-09-03", "--end", "2018-12-31", "--run-id", "crash"]  # fmt: skip
SCRIPT = "import typer; from tradepit.cli_agent import register; a = typer.Typer(); " \
         "register(a); a()"  # fmt: skip
SLOW = ["--speed", str(86400 / 0.15)]  # 0.15 s between daily cycles


def env(home: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("TRADEPIT_")}
    return out | {"TRADEPIT_HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}


def start(home: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, *RUN, *extra],
        env=env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def last_cycle(home: Path) -> int | None:
    db = home / "tradepit.db"
    if not db.exists():
        return None
    store = Store.from_url(f"sqlite:///{db}")
    try:
        return store.last_cycle("crash")
    except StoreError:  # the child has not created the schema yet
        return None
    finally:
        store.close()


def wait_for_cycle(home: Path, proc: subprocess.Popen, cycle: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        done = last_cycle(home)
        if done is not None and done >= cycle:
            return
        time.sleep(0.05)
    raise AssertionError(f"no cycle {cycle} within {timeout}s")


def outcome(home: Path) -> dict:
    store = Store.from_url(f"sqlite:///{home / 'tradepit.db'}")
    try:
        snapshot = store.load_ledger("paper-crash")
        decisions = store.list_decisions("crash")
        return {
            "cycles": [(r.decision.cycle, r.decision.symbol, r.decision.action) for r in decisions],
            "orders": sorted(
                (o.client_order_id, o.side, o.qty, o.status, o.filled_qty) for o in snapshot.orders
            ),
            "fills": [(f.client_order_id, f.qty, f.price) for f in store.list_fills("paper-crash")],
            "cash": snapshot.cash,
            "status": store.get_run("crash").status,
        }
    finally:
        store.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("reference")
    app = typer.Typer()
    register(app)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRADEPIT_HOME", str(home))
        result = CliRunner().invoke(app, RUN, catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    return outcome(home)


def test_killed_and_restarted_run_matches_an_uninterrupted_one(tmp_path: Path, reference):
    proc = start(tmp_path, *SLOW)
    try:
        wait_for_cycle(tmp_path, proc, 12)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    interrupted = last_cycle(tmp_path)
    restarted = subprocess.run(
        [sys.executable, "-c", SCRIPT, *RUN], env=env(tmp_path), capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert restarted.returncode == 0, restarted.stderr
    assert f"cycle {interrupted + 1} " in restarted.stdout
    assert "cycle 0 " not in restarted.stdout
    got = outcome(tmp_path)
    assert got["orders"], "the reference run should have traded"
    assert got == reference  # nothing lost, nothing submitted twice
    per_cycle = [(c, s) for c, s, _ in got["cycles"]]
    assert len(per_cycle) == len(set(per_cycle))


def test_sigterm_stops_after_the_current_cycle(tmp_path: Path, reference):
    proc = start(tmp_path, *SLOW)
    try:
        wait_for_cycle(tmp_path, proc, 3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143, err  # 128 + SIGTERM, as a stopped battle
    assert "status running" in out and "stop requested (signal 15)" in err
    stopped = last_cycle(tmp_path)
    cycles = [c for c, _, _ in outcome(tmp_path)["cycles"]]
    assert sorted(set(cycles)) == list(range(stopped + 1))  # every started cycle finished
    assert len(reference["cycles"]) > len(cycles)
