"""`tradepit battle` in a real process with a worker process, stopped by a signal: SIGTERM
(to the battle, or to its whole process group) and Ctrl-C (SIGINT to the group) stop it
after the current tick, its worker exits, the battle is recorded as aborted with the same
ticks for every competitor, and the user gets one line and exit code 128 + the signal."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.integration.battle.procs import gone
from typer.testing import CliRunner

from tradepit.battle import config as ids
from tradepit.battle.workers import cores
from tradepit.cli import app
from tradepit.domain.errors import StoreError
from tradepit.storage import RunStatus, Store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
    pytest.mark.skipif(cores() < 2, reason="a worker process needs two cores"),
]

MODELS = ("rules:supertrend", "rules:macd_rsi", "rules:buy_and_hold")
BATTLE = ["battle", "--models", ",".join(MODELS), "--symbols", "SPX,MSFT", "--start",
          "2008-01-01", "--end", "2016-12-31", "--concurrency", "processes",
          "--run-id", "b3"]  # fmt: skip
SCRIPT = "from tradepit.cli import app; app()"


def env(home: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("TRADEPIT_")}
    return out | {"TRADEPIT_HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}


def open_store(home: Path) -> Store:
    return Store.from_url(f"sqlite:///{home / 'tradepit.db'}")


def ticks_recorded(home: Path) -> int:
    if not (home / "tradepit.db").exists():
        return 0
    store = open_store(home)
    try:
        return len(store.equity_curve(ids.benchmark_series("b3", 1)))
    except StoreError:  # the schema is not there yet
        return 0
    finally:
        store.close()


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def running_battle(home: Path) -> tuple[subprocess.Popen, list[int]]:
    """The battle in its own session (as in a terminal), once it recorded a few ticks."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, *BATTLE], env=env(home), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while ticks_recorded(home) < 5:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no tick within 240 s"
        time.sleep(0.1)
    workers = children(proc.pid)
    assert workers, "the battle should run a worker process"
    return proc, workers


def stopped(
    home: Path, proc: subprocess.Popen, workers: list[int], code: int
) -> tuple[str, set[int], int]:
    """Checks what every stop leaves behind; returns stderr, the last cycle of each
    competitor and the ticks recorded."""
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        for pid in workers:
            if not gone(pid, 10):
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"worker {pid} outlived the battle")
    assert proc.returncode == code, err
    assert "Traceback" not in err and out == ""
    lines = err.splitlines()
    assert len(lines) <= 2 and lines[-1].startswith("stopped: battle b3 stopped after "), err
    store = open_store(home)
    try:
        assert store.get_run("b3").status is RunStatus.ABORTED
        cycles = set()
        for c in range(len(MODELS)):
            run = ids.competitor_run("b3", 1, c)
            assert store.get_run(run).status is RunStatus.ABORTED
            cycles.add(store.last_cycle(run))
        recorded = len(store.equity_curve(ids.benchmark_series("b3", 1)))
    finally:
        store.close()
    return err, cycles, recorded


def test_sigterm_stops_the_battle_and_its_worker(tmp_path):
    proc, workers = running_battle(tmp_path)
    proc.send_signal(signal.SIGTERM)
    err, cycles, recorded = stopped(tmp_path, proc, workers, 143)
    assert cycles == {recorded - 1}  # every competitor ran the same ticks
    assert f"after {recorded} of 2267 ticks" in err and "tradepit battle show b3" in err
    first = err.splitlines()[0]  # a log line: UTC time, level, logger, then the message
    assert re.match(r"\S+Z WARNING tradepit\.stop_signals: SIGTERM: the battle stops after "
                    "the current tick", first), first  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRADEPIT_HOME", str(tmp_path))
        shown = CliRunner().invoke(app, ["battle", "show", "b3"], catch_exceptions=False)
        listed = CliRunner().invoke(app, ["battle", "list", "--json"], catch_exceptions=False)
    title = " ".join(shown.stdout.split())
    assert "Battle b3 (aborted, incomplete): 2008-01-02 .. " in title
    assert f", {recorded} of 2267 ticks (planned to 2016-12-30)" in title
    assert [b["status"] for b in json.loads(listed.stdout)] == ["aborted"]


def test_ctrl_c_to_the_process_group_stops_it_in_one_line(tmp_path):
    proc, workers = running_battle(tmp_path)
    os.killpg(proc.pid, signal.SIGINT)
    _, cycles, recorded = stopped(tmp_path, proc, workers, 130)
    assert cycles == {recorded - 1}


def test_sigterm_to_the_process_group_is_a_stop_not_a_failure(tmp_path):
    """The worker dies of the SIGTERM at once (the parent finds it gone): still aborted."""
    proc, workers = running_battle(tmp_path)
    os.killpg(proc.pid, signal.SIGTERM)
    stopped(tmp_path, proc, workers, 143)
