"""Models offered, authentication rules, the working directory and the CLI command."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
import typer
from pydantic import SecretStr
from typer.testing import CliRunner

from tradepit import cli_chat
from tradepit.chat_ui.auth import auth_mode, auth_secret, check_password, is_loopback
from tradepit.chat_ui.models import describe_model, model_choices, offline_models
from tradepit.chat_ui.workdir import README, chat_dir, prepare
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError
from tradepit.strategies import STRATEGIES


def test_offline_models_only_without_keys(settings: Settings) -> None:
    choices = model_choices(settings)
    assert choices.default == "rules:supertrend" == choices.specs[0]
    assert set(choices.specs) == {f"rules:{name}" for name in STRATEGIES}
    assert all(describe_model(s).endswith("(offline, built in)") for s in offline_models())


def test_real_models_listed_only_when_their_key_is_set(settings: Settings) -> None:
    keyed = settings.model_copy(
        update={"anthropic_api_key": SecretStr("sk-x"), "openai_api_key": SecretStr("  ")}
    )
    specs = model_choices(keyed).specs
    assert "anthropic/claude-sonnet-4-6" in specs
    assert "gpt-4o" not in specs  # a blank key is no key
    assert "xai/grok-4" not in specs


def test_configured_model_comes_first(settings: Settings) -> None:
    custom = settings.model_copy(update={"model": "openai/qwen@http://127.0.0.1:9/v1"})
    choices = model_choices(custom)
    assert choices.default == choices.specs[0] == "openai/qwen@http://127.0.0.1:9/v1"
    assert "rules:supertrend" in choices.specs


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True), ("127.3.2.1", True), ("localhost", True), ("::1", True),
        ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
        ("example.com", False), ("", False),
    ],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_non_loopback_host_needs_a_login(settings: Settings) -> None:
    assert auth_mode(settings, "127.0.0.1") == "local"
    with pytest.raises(ConfigError, match="refusing"):
        auth_mode(settings, "0.0.0.0")
    only_user = settings.model_copy(update={"chat_username": "ann"})
    with pytest.raises(ConfigError):
        auth_mode(only_user, "0.0.0.0")
    both = settings.model_copy(
        update={"chat_username": "ann", "chat_password": SecretStr("s3cret")}
    )
    assert auth_mode(both, "0.0.0.0") == "password"
    assert auth_mode(both, "127.0.0.1") == "password"


@pytest.mark.parametrize(
    ("update", "given"),
    [({"chat_password": SecretStr("s3cret")}, "PASSWORD"), ({"chat_username": "ann"}, "USERNAME")],
)
def test_half_a_login_is_refused_not_ignored(settings: Settings, update: dict, given: str) -> None:
    """A password without a username served the chat without a login, without a word."""
    half = settings.model_copy(update=update)
    with pytest.raises(ConfigError, match=f"TRADEPIT_CHAT_{given} is set without"):
        auth_mode(half, "127.0.0.1")


def test_check_password(settings: Settings) -> None:
    assert not check_password(settings, "", "")  # nothing configured: nobody logs in
    both = settings.model_copy(
        update={"chat_username": "ann", "chat_password": SecretStr("s3cret")}
    )
    assert check_password(both, "ann", "s3cret")
    assert not check_password(both, "ann", "s3cret ")
    assert not check_password(both, "bob", "s3cret")
    assert not check_password(both, "ann", "")


def test_auth_secret_is_created_once_and_private(tmp_path: Path, settings: Settings) -> None:
    first = auth_secret(settings, tmp_path / "chat")
    assert len(first) >= 40
    assert auth_secret(settings, tmp_path / "chat") == first
    mode = stat.S_IMODE((tmp_path / "chat" / "auth_secret").stat().st_mode)
    assert mode & 0o077 == 0
    configured = settings.model_copy(update={"chat_auth_secret": SecretStr("mine")})
    assert auth_secret(configured, tmp_path / "chat") == "mine"


def test_workdir_is_under_home(settings: Settings) -> None:
    directory = prepare(settings, "127.0.0.1", 8123)
    assert directory == chat_dir(settings) == settings.home / "chat_ui"
    config = tomllib.loads((directory / ".chainlit" / "config.toml").read_text())
    assert "http://127.0.0.1:8123" in config["project"]["allow_origins"]
    assert "*" not in config["project"]["allow_origins"]
    assert config["features"]["edit_message"] is False
    assert config["UI"]["name"] == "tradepit"
    assert config["meta"]["generated_by"] > "0.3.0"
    assert (directory / "chainlit.md").read_text() == README
    shared = tomllib.loads((prepare(settings, "0.0.0.0", 80) / ".chainlit/config.toml").read_text())
    assert shared["project"]["allow_origins"] == ["*"]


def test_chat_command_refuses_an_open_host_without_login(tmp_path: Path) -> None:
    app = typer.Typer()
    cli_chat.register(app)
    app.command("noop")(lambda: None)  # keep `chat` a sub-command
    env = {
        "TRADEPIT_HOME": str(tmp_path),
        "TRADEPIT_CHAT_USERNAME": "",
        "TRADEPIT_CHAT_PASSWORD": "",
    }
    result = CliRunner().invoke(app, ["chat", "--host", "0.0.0.0", "--port", "8123"], env=env)
    assert result.exit_code == 1
    assert "refusing" in result.output
    assert not (tmp_path / "chat_ui").exists()  # nothing was prepared or started
