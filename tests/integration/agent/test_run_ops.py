"""`tradepit run` as an operator runs it, in a real process through the real CLI entry:
/metrics and /healthz served while it trades, a stamped log file, and Ctrl-C stopping it
after the current cycle with exit code 130, resumable by the same command."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

SCRIPT = "from tradepit.cli import app; app()"
RUN = ["run", "--symbols", "SPX", "--start", "2016-01-04", "--end", "2017-12-29",
       "--run-id", "ops"]  # fmt: skip
SLOW = ["--speed", str(86400 / 0.2)]  # 0.2 s between daily cycles
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def env(home: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("TRADEPIT_")}
    return out | {
        "TRADEPIT_HOME": str(home),
        "TRADEPIT_MEMORY_BACKEND": "off",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }


class Running:
    """The command in a child process whose SIGINT acts as in a terminal; its stdout and
    stderr go to files, read as they grow."""

    def __init__(self, home: Path, *args: str) -> None:
        self.out, self.err = home / "stdout.txt", home / "stderr.txt"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SCRIPT, *args], env=env(home), stdout=out, stderr=err,
                text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )  # fmt: skip

    def url(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"metrics on (http://127\.0\.0\.1:\d+)/metrics", self.err.read_text())
            if found:
                return found.group(1)
            assert self.proc.poll() is None, self.err.read_text()
            time.sleep(0.05)
        raise AssertionError("no metrics address printed")

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.proc.kill()
        return self.proc.returncode, self.out.read_text(), self.err.read_text()


def wait_for_cycle(url: str, cycle: int, proc: subprocess.Popen, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None
        report = httpx.get(f"{url}/healthz").json()
        if (report["last_cycle"] or -1) >= cycle:
            return report
        time.sleep(0.1)
    raise AssertionError(f"no cycle {cycle} within {timeout}s")


def sample(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


def test_metrics_health_logs_and_ctrl_c(tmp_path: Path):
    running = Running(tmp_path, *RUN, *SLOW, "--metrics-port", "0")
    url = running.url()
    report = wait_for_cycle(url, 3, running.proc)
    assert report["status"] == "ok" and report["run"] == "ops"
    assert report["trading_state"] == "active" and report["broker_reachable"] is True
    text = httpx.get(f"{url}/metrics").text
    assert sample(text, 'tradepit_cycles_total{outcome="answered"}') >= 4
    assert sample(text, 'tradepit_model_calls_total{backend="rules:supertrend",outcome="ok"}') >= 4
    assert sample(text, 'tradepit_equity_usd{account="paper-ops"}') > 0
    assert sample(text, "tradepit_last_cycle_timestamp_seconds") > 1.7e9

    running.proc.send_signal(signal.SIGINT)
    code, out, err = running.finish()
    assert code == 130, err
    assert "Traceback" not in err
    assert "status running" in out
    assert re.search(STAMP + r" WARNING tradepit\.stop_signals: stop requested \(signal 2\)", err)
    stopped = max(int(n) for n in re.findall(r"^cycle (\d+) ", out, re.MULTILINE))

    logged = (tmp_path / "logs" / "tradepit.log").read_text()
    assert re.search(STAMP + r" INFO tradepit\.agent\.loop: cycle done run=ops cycle=0 ", logged)
    assert "INFO" not in err  # the console shows warnings only

    again = subprocess.run(
        [sys.executable, "-c", SCRIPT, *RUN, "--cycles", "1"], env=env(tmp_path),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"cycle {stopped + 1} " in again.stdout  # resumed where it stopped
