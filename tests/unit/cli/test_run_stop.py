"""`tradepit run` stopped by a signal exits 128 + the signal (130 Ctrl-C, 143 SIGTERM),
as a stopped battle does, after a graceful stop that leaves the run resumable; a second
Ctrl-C (KeyboardInterrupt mid-cycle) exits 130 too, in one line."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tradepit.agent.loop import LoopResult, RunLoop
from tradepit.cli_agent import register

RUN = ["run", "--symbols", "SPX", "--start", "2018-12-03", "--end", "2018-12-14", "--run-id", "s"]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRADEPIT_MEMORY_BACKEND", "off")
    app = typer.Typer()
    register(app)
    return lambda *args: CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_with_its_exit_code(cli, monkeypatch, sent, code):
    real = RunLoop.run

    def signalled(self: RunLoop) -> LoopResult:
        os.kill(os.getpid(), sent)  # the stop handler sets the event: the loop ends at once
        return real(self)

    monkeypatch.setattr(RunLoop, "run", signalled)
    stopped = cli(*RUN)
    assert stopped.exit_code == code, stopped.output
    assert "0 cycle(s) this time, status running" in stopped.stdout
    monkeypatch.setattr(RunLoop, "run", real)
    resumed = cli(*RUN)
    assert resumed.exit_code == 0 and "status completed" in resumed.stdout


def test_a_second_ctrl_c_interrupts_at_once_with_130(cli, monkeypatch):
    def interrupted(self: RunLoop) -> LoopResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(RunLoop, "run", interrupted)
    result = cli(*RUN)
    assert result.exit_code == 130
    assert "interrupted: run s stopped mid-cycle; the same command resumes it" in result.stderr


def test_a_run_that_completes_exits_0(cli):
    result = cli(*RUN)
    assert result.exit_code == 0 and "status completed" in result.stdout
