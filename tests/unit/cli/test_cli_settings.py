"""Bad settings in every command: one `error:` line naming the variable (and its `.env`),
exit code 2, no traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tradepit import config
from tradepit.cli import app

COMMANDS = [
    ["notify", "test"],
    ["slack"],
    ["chat"],
    ["account"],
    ["positions"],
    ["orders"],
    ["memory", "list"],
    ["ask", "hi"],
    ["run", "--once"],
    ["halt"],
    ["battle", "list"],
]


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRADEPIT_MEMORY_BACKEND", "off")
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    monkeypatch.setattr(config, "_warned", set(), raising=False)
    return monkeypatch


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def one_error_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "pydantic" not in result.output and "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_bad_value_is_one_line_naming_the_variable_in_every_command(env, command):
    env.setenv("TRADEPIT_LLM_TIMEOUT_S", "abc")
    line = one_error_line(invoke(*command))
    assert line.startswith("error: TRADEPIT_LLM_TIMEOUT_S: ") and "number" in line


@pytest.mark.parametrize("command", [["notify", "test"], ["account"], ["ask", "hi"]], ids=" ".join)
def test_a_dotenv_that_is_not_utf8_is_named(env, tmp_path, command):
    (tmp_path / ".env").write_bytes(
        b"TRADEPIT_MODEL=rules:supertrend\nTRADEPIT_CHAT_USERNAME=caf\xe9\n"
    )
    line = one_error_line(invoke(*command))
    assert f"{(tmp_path / '.env').resolve()} line 2 is not valid UTF-8" in line


def test_a_bad_value_from_dotenv_names_the_file(env, tmp_path):
    (tmp_path / ".env").write_text("TRADEPIT_STARTING_CASH=abc\n")
    line = one_error_line(invoke("account"))
    assert f"TRADEPIT_STARTING_CASH (in {(tmp_path / '.env').resolve()}): " in line


def test_a_paper_setting_out_of_range_is_named_by_its_variable(env):
    env.setenv("TRADEPIT_STARTING_CASH", "-5")
    line = one_error_line(invoke("positions"))
    assert line == "error: TRADEPIT_STARTING_CASH: Input should be greater than 0"


def test_alpaca_settings_name_their_variables(env):
    env.setenv("TRADEPIT_BROKER", "alpaca")
    env.setenv("TRADEPIT_ALPACA_MAX_ATTEMPTS", "many")
    assert one_error_line(invoke("orders")).startswith("error: TRADEPIT_ALPACA_MAX_ATTEMPTS: ")
