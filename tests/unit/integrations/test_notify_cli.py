"""`tradepit notify test` against loopback servers: one line per target, exit 1 on failure."""

from __future__ import annotations

import pytest
import typer
from tests.unit.integrations.conftest import BOT_TOKEN, DISCORD_HOOK_PATH, SLACK_HOOK_PATH, Reply
from typer.testing import CliRunner

from tradepit.cli_notify import register

ENV_NAMES = (
    "SLACK_WEBHOOK_URL",
    "SLACK_ALERTS_WEBHOOK_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_NOTIFY_CHANNEL",
    "SLACK_ALERTS_CHANNEL",
    "SLACK_API_URL",
    "DISCORD_WEBHOOK_URL",
    "DISCORD_ALERTS_WEBHOOK_URL",
)


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()
    register(cli)

    @cli.command()
    def version() -> None:  # a second command keeps typer in multi-command mode
        """Unused."""

    return cli


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path))
    for name in ENV_NAMES:
        monkeypatch.delenv(f"TRADEPIT_{name}", raising=False)
    return monkeypatch


@pytest.fixture
def configured(env, slack_hook, slack_api, discord_hook):
    env.setenv("TRADEPIT_SLACK_WEBHOOK_URL", slack_hook.url + SLACK_HOOK_PATH)
    env.setenv("TRADEPIT_SLACK_BOT_TOKEN", BOT_TOKEN)
    env.setenv("TRADEPIT_SLACK_API_URL", slack_api.url + "/api/")
    env.setenv("TRADEPIT_SLACK_NOTIFY_CHANNEL", "#trading")
    env.setenv("TRADEPIT_DISCORD_WEBHOOK_URL", discord_hook.url + DISCORD_HOOK_PATH)
    return env


def _lines(output: str) -> list[list[str]]:
    return [line.split()[:2] for line in output.strip().splitlines()]


def test_sends_a_test_message_to_every_target(app, configured, slack_hook, slack_api, discord_hook):
    result = CliRunner().invoke(app, ["notify", "test"])
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout) == [
        ["ok", "slack-webhook"],
        ["ok", "slack:#trading"],
        ["ok", "discord"],
    ]
    hook, api, discord = slack_hook.requests, slack_api.requests, discord_hook.requests
    assert len(hook) == len(api) == len(discord) == 1
    assert hook[0].json["text"] == "tradepit"
    assert api[0].json["channel"] == "#trading"
    assert discord[0].json["embeds"][0]["description"] == (
        "tradepit notification test: this target is configured correctly."
    )
    for secret in (SLACK_HOOK_PATH, DISCORD_HOOK_PATH, BOT_TOKEN):
        assert secret not in result.output


def test_channel_selects_targets_or_posts_to_another_slack_channel(
    app, configured, slack_hook, slack_api, discord_hook
):
    result = CliRunner().invoke(app, ["notify", "test", "--channel", "discord", "-c", "#random"])
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout) == [["ok", "discord"], ["ok", "slack:#random"]]
    assert [r.json["channel"] for r in slack_api.requests] == ["#random"]
    assert slack_hook.requests == [] and len(discord_hook.requests) == 1


def test_a_failing_target_is_reported_and_exits_1(app, configured, discord_hook):
    discord_hook.queue(Reply.of_json(404, {"message": "Unknown Webhook", "code": 10015}))
    result = CliRunner().invoke(app, ["notify", "test"])
    assert result.exit_code == 1
    assert "FAIL  discord  discord: HTTP 404: Unknown Webhook (code 10015)" in result.stdout
    assert ["ok", "slack-webhook"] in _lines(result.stdout)


def test_nothing_configured(app, env):
    result = CliRunner().invoke(app, ["notify", "test"])
    assert result.exit_code == 1
    assert "no notification target configured" in result.output


def test_unknown_channel_without_bot_token(app, env, discord_hook):
    env.setenv("TRADEPIT_DISCORD_WEBHOOK_URL", discord_hook.url + DISCORD_HOOK_PATH)
    result = CliRunner().invoke(app, ["notify", "test", "--channel", "#random"])
    assert result.exit_code == 1
    assert "no target #random (configured: discord)" in result.output
    assert discord_hook.requests == []


def test_a_builtin_target_that_is_not_configured_names_its_setting(app, env, discord_hook):
    env.setenv("TRADEPIT_DISCORD_WEBHOOK_URL", discord_hook.url + DISCORD_HOOK_PATH)
    result = CliRunner().invoke(app, ["notify", "test", "-c", "slack-webhook"])
    assert result.exit_code == 1
    assert "slack-webhook not configured (configured: discord)" in result.output
    assert "needs TRADEPIT_SLACK_WEBHOOK_URL" in result.output and "BOT_TOKEN" not in result.output
    assert discord_hook.requests == []
