"""Settings errors name the variable; unknown TRADEPIT_ variables are warned about (with a
suggestion), every name the repository uses is known."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tradepit import config
from tradepit.config import Settings

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "_warned", set(), raising=False)
    return monkeypatch


def test_values_given_in_code_are_named_by_field(env):
    with pytest.raises(config.InvalidSettingsError, match=r"^starting_cash: Input should be"):
        Settings(_env_file=None, starting_cash=0)


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tradepit.config"]


def test_misspelt_variables_are_warned_about_with_a_suggestion(env, tmp_path, caplog):
    env.setenv("TRADEPIT_HOMEE", "/tmp/x")
    (tmp_path / ".env").write_text(
        "TRADEPIT_DATABSE_URL=postgresql://u:pw@127.0.0.1/x\ntradepit_brokr=alpaca\n"
    )
    with caplog.at_level(logging.WARNING, "tradepit.config"):
        Settings()
        Settings()  # once per name and process
    dotenv = (tmp_path / ".env").resolve()
    assert sorted(warnings_of(caplog)) == [
        f"unknown setting TRADEPIT_BROKR in {dotenv} is ignored; did you mean TRADEPIT_BROKER?",
        f"unknown setting TRADEPIT_DATABSE_URL in {dotenv} is ignored; "
        "did you mean TRADEPIT_DATABASE_URL?",
        "unknown setting TRADEPIT_HOMEE in the environment is ignored; did you mean TRADEPIT_HOME?",
    ]


def repo_variables() -> set[str]:
    """Every complete TRADEPIT_ name the repository mentions (not prefixes such as
    ``TRADEPIT_MEMORY_*`` or ``TRADEPIT_BATTLE_ALPACA_{n}_``)."""
    found: set[str] = set()
    for top in ("src", "tests", "scripts", "benchmarks", ".ci", "README.md", "Makefile"):
        root = REPO / top
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and path != Path(__file__).resolve():
                try:
                    found |= set(re.findall(r"TRADEPIT_[A-Z0-9_]+(?![\w{*<])", path.read_text()))
                except (UnicodeDecodeError, OSError):
                    continue
    complete = {name for name in found if not name.endswith("_")}
    return complete - {"TRADEPIT_SLACK_SIGNING"}  # cut short in a test's expected message


def test_no_variable_the_repository_uses_is_warned_about(env, caplog):
    names = repo_variables()
    assert {"TRADEPIT_TEST_DATABASE_URL", "TRADEPIT_ACCOUNT_LOCK_TIMEOUT_S"} <= names
    for name in names | {"TRADEPIT_BATTLE_ALPACA_12_SECRET_KEY"}:
        env.setenv(name, "1")
    with caplog.at_level(logging.WARNING, "tradepit.config"):
        config.warn_unknown_variables([])
    assert warnings_of(caplog) == []


def test_battle_key_names_are_known():
    from tradepit.battle.alpaca_accounts import key_names

    for name in key_names(3):
        assert any(p.fullmatch(name) for p in config.VARIABLE_PATTERNS)
