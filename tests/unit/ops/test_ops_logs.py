"""Logging of a command: UTC-stamped lines with level, logger and the `extra=` fields on
stderr (WARNING by default) and in a rotating file (INFO) for long-running commands;
secrets masked everywhere; the set-up undone when the command ends."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradepit.cli import app
from tradepit.config import Settings
from tradepit.domain.errors import InvalidSettingsError
from tradepit.integrations.redact import Redactor
from tradepit.ops.logs import LONG_RUNNING, configure_logging, log_file

SECRET = "sk-test-0123456789abcdef"
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", _env_file=None)


@pytest.fixture
def setup_of(capsys: pytest.CaptureFixture[str]):
    setups = []

    def make(settings: Settings, command: str | None, redactor: Redactor | None = None):
        setups.append(configure_logging(settings, command, redactor))
        return setups[-1]

    yield make
    for setup in setups:
        setup.close()


def test_a_line_has_utc_time_level_logger_and_fields_in_order(settings, setup_of, capsys):
    setup_of(settings, "ask")
    logging.getLogger("tradepit.agent.loop").warning(
        "cycle %s slow", 3,
        extra={"symbol": "SPX", "cycle": 3, "run": "r1", "why": "two words", "backend": "b"},
    )  # fmt: skip
    line = capsys.readouterr().err.strip()
    assert re.fullmatch(
        STAMP + r" WARNING tradepit\.agent\.loop: cycle 3 slow run=r1 cycle=3 backend=b "
        r'symbol=SPX why="two words"',
        line,
    ), line


def test_console_gets_warnings_the_file_gets_info(settings, setup_of, capsys):
    setup = setup_of(settings, "run")
    assert setup.file == settings.home / "logs" / "tradepit.log"
    log = logging.getLogger("tradepit.test")
    log.info("cycle done", extra={"run": "r1"})
    log.warning("careful")
    logging.getLogger("some.library").info("library chatter")
    err = capsys.readouterr().err
    assert "careful" in err and "cycle done" not in err
    setup.close()
    written = setup.file.read_text()
    assert re.search(STAMP + " INFO tradepit.test: cycle done run=r1\n", written)
    assert "careful" in written and "library chatter" not in written


def test_log_level_from_the_environment_lowers_the_console(tmp_path, monkeypatch, setup_of, capsys):
    monkeypatch.setenv("TRADEPIT_LOG_LEVEL", "debug")
    setup_of(Settings(home=tmp_path, _env_file=None), "ask")
    logging.getLogger("tradepit.test").debug("details")
    assert "DEBUG tradepit.test: details" in capsys.readouterr().err


def test_a_bad_log_level_is_refused(monkeypatch):
    monkeypatch.setenv("TRADEPIT_LOG_LEVEL", "loud")
    with pytest.raises(InvalidSettingsError, match="TRADEPIT_LOG_LEVEL"):
        Settings(_env_file=None)


def test_which_commands_log_to_a_file(settings, tmp_path):
    assert {"run", "battle", "chat", "slack"} == LONG_RUNNING
    assert log_file(settings, "run") == settings.home / "logs" / "tradepit.log"
    assert log_file(settings, "backtest") is None
    chosen = settings.model_copy(update={"log_file": str(tmp_path / "x.log")})
    assert log_file(chosen, "backtest") == tmp_path / "x.log"
    assert log_file(settings.model_copy(update={"log_file": "off"}), "run") is None


def test_secrets_are_masked_in_message_fields_and_traceback(settings, setup_of, capsys):
    setup = setup_of(settings, "run", Redactor([SECRET]))
    log = logging.getLogger("tradepit.test")
    try:
        raise RuntimeError(f"auth failed for {SECRET}")
    except RuntimeError:
        log.exception("call with key %s failed", SECRET, extra={"url": f"https://x/?k={SECRET}"})
    err = capsys.readouterr().err
    setup.close()
    for text in (err, setup.file.read_text()):
        assert SECRET not in text
        assert "call with key [redacted] failed" in text and "url=https://x/?k=[redacted]" in text
        assert "RuntimeError: auth failed for [redacted]" in text


def test_close_restores_handlers_and_levels(settings):
    root, own = logging.getLogger(), logging.getLogger("tradepit")
    before = (list(root.handlers), root.level, own.level)
    setup = configure_logging(settings, "run")
    assert len(root.handlers) == len(before[0]) + 2 and own.level == logging.INFO
    setup.close()
    assert (list(root.handlers), root.level, own.level) == before


def test_the_console_handler_follows_sys_stderr(settings, setup_of, monkeypatch):
    """A command run by CliRunner swaps sys.stderr: lines go to the current one."""
    setup_of(settings, "ask")

    class Sink:
        text = ""

        def write(self, s: str) -> None:
            Sink.text += s

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stderr", Sink())
    logging.getLogger("tradepit.test").error("to the new stderr")
    assert "to the new stderr" in Sink.text


def test_cli_commands_configure_logging_for_their_duration(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TRADEPIT_LOG_FILE", raising=False)
    root_handlers = list(logging.getLogger().handlers)
    seen = []
    monkeypatch.setattr(
        "tradepit.cli.out.print", lambda *a, **k: seen.append(list(logging.getLogger().handlers))
    )
    result = CliRunner().invoke(app, ["strategies"], catch_exceptions=False)
    assert result.exit_code == 0
    assert len(seen[0]) == len(root_handlers) + 1  # stderr only: a one-shot command
    assert logging.getLogger().handlers == root_handlers  # undone at the end
    helped = CliRunner().invoke(app, ["run", "--help"], catch_exceptions=False)
    assert helped.exit_code == 0 and not (tmp_path / "home" / "logs").exists()
