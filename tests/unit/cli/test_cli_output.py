"""What the CLI prints: outside text kept verbatim (rich markup escaped), one error line,
help without value types on flags, how a command confirms live trading."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import typer
from typer.testing import CliRunner

from tradepit import cli_agent, cli_battle
from tradepit.agent.service import Reply
from tradepit.cli import app
from tradepit.cli_common import fail
from tradepit.domain.errors import ConfigError, LiveNotConfirmedError

ECHO = "Incorrect API key provided: Bearer [redacted] [bold]x[/bold]"


def test_error_lines_keep_brackets(capsys):
    with pytest.raises(typer.Exit) as caught:
        fail(ConfigError(ECHO + " " + "y" * 120))
    assert caught.value.exit_code == 1
    err = capsys.readouterr().err
    assert err == f"error: {ECHO} {'y' * 120}\n"  # and one line, however long


def test_answers_tool_calls_and_cycle_lines_keep_brackets(capsys):
    step = {"name": "get_quote", "arguments": '{"symbol": "[SPX]"}', "ok": False,
            "error_type": "[Bad]"}  # fmt: skip
    reply = Reply("t", 0, "answered", ECHO, steps=(step,))
    cli_agent._print_reply(reply, as_json=False)
    aborted = Reply("t", 3, "aborted", ECHO)
    cli_agent._on_cycle(3, datetime(2024, 1, 2, tzinfo=UTC), aborted)
    out, err = (" ".join(text.split()) for text in capsys.readouterr())  # rich wraps at 80
    assert ECHO in out and f"aborted: {ECHO}" in out
    assert '{"symbol": "[SPX]"}' in err and "[Bad]" in err


def test_battle_show_keeps_brackets(capsys):
    entry = {
        "cycle": 1, "time": "2024-01-02",
        "decisions": [{"symbol": "SPX", "action": "abort", "rationale": ECHO}],
        "tool_calls": [{"name": "get_quote", "arguments": "[a]", "ok": False,
                        "error_type": "[E]", "result": None}],
        "verdicts": [], "orders": [], "fills": [],
        "model_calls": [{"seq": 0, "error": ECHO}],
    }  # fmt: skip
    cli_battle._print_cycle(entry)
    out = " ".join(capsys.readouterr().out.split())
    assert out.count(ECHO) == 2 and "get_quote [a] [E]" in out


@pytest.mark.parametrize("args", [["--help"], ["account", "--help"], ["data", "list", "--help"]])
def test_help_shows_no_value_type_on_flags(args):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0
    assert "<bool>" not in result.output and "--help" in result.output
    if args[0] == "account":
        assert "<str>" in result.output  # --run takes a value


def test_live_not_confirmed_says_what_the_command_accepts(capsys):
    error = LiveNotConfirmedError("live trading was not confirmed")
    with pytest.raises(typer.Exit):
        fail(error, live_option=True)
    assert "run again with --confirm-live" in capsys.readouterr().err
    with pytest.raises(typer.Exit):
        fail(error)
    err = capsys.readouterr().err
    assert "this command does not trade live" in err and "unset TRADEPIT_ALPACA_LIVE" in err
    assert "confirm_live=True" not in err
