"""Fixtures of the Slack bot tests: a loopback Slack, the offline app (rules model, paper
broker, SQLite under a temporary TRADEPIT_HOME) and the bot wired through Bolt."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from slack_bolt import App
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from tests.integration.slack.fakes import TEAM, FakeSlack, bolt_request, sign

from tradepit.bootstrap import App as Core
from tradepit.bootstrap import open_app
from tradepit.clock import ReplayClock, SystemClock
from tradepit.config import Settings
from tradepit.integrations.slack import create_bot
from tradepit.integrations.slack_bot import SlackBot

T0 = datetime(2017, 6, 2, tzinfo=UTC)
"""Trading clock: just after the 2017-06-01 bar; MSFT trades near $70 (100 shares > $1,000)."""
SIGNING_SECRET = "signing-secret-0123456789abcdef"
SECRETS = {
    "slack_bot_token": "xoxb-1111-2222-botsecrettoken",
    "slack_app_token": "xapp-1-A111-222-appsecrettoken",
    "slack_signing_secret": SIGNING_SECRET,
    "slack_webhook_url": "https://hooks.slack.com/services/T0/B0/webhooksecret0123",
    "discord_webhook_url": "https://discord.com/api/webhooks/1/discordsecret0123",
    "anthropic_api_key": "sk-ant-api03-anthropicsecret0123456789",
    "openai_api_key": "sk-openaisecret0123456789",
}


def make_settings(home: Path, api_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "home": home,
        "memory_backend": "off",
        "model": "rules:supertrend",
        "approval_notional": 1000.0,
        "slack_api_url": api_url,
        "slack_allowed_teams": TEAM,
        "slack_allowed_channels": "C0TRADE1",
        "slack_allowed_users": "U0ALICE1, U0BOB0001",
        "slack_approvers": "U0BOB0001",
        "slack_approval_ttl_s": 600.0,
        "slack_rate_limit_per_min": 20,
        **{k: SecretStr(v) for k, v in SECRETS.items()},
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Rig:
    """Everything a test drives: the fake Slack, the app, the bot, the two clocks."""

    slack: FakeSlack
    core: Core
    bot: SlackBot
    app: App
    wall: ReplayClock
    market: ReplayClock
    settings: Settings

    def dispatch(self, body: str, *, json_body: bool, timestamp: int | None = None,
                 secret: str = SIGNING_SECRET, headers: dict[str, str] | None = None
                 ) -> BoltResponse:  # fmt: skip
        signed = headers if headers is not None else sign(secret, body, timestamp)
        return self.app.dispatch(bolt_request(body, signed, json_body))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def build_rig(tmp_path: Path, slack: FakeSlack, **overrides: object) -> Iterator[Rig]:
    settings = make_settings(tmp_path / "home", slack.api_url, **overrides)
    market = ReplayClock(T0)
    wall = ReplayClock(SystemClock().now())
    with open_app(settings, clock=market) as core:
        client = WebClient(
            token=SECRETS["slack_bot_token"], base_url=slack.api_url, retry_handlers=[]
        )
        bot, app = create_bot(
            settings, core, http=True, client=client, clock=wall,
            process_before_response=True, token_verification_enabled=False,
        )  # fmt: skip
        yield Rig(slack, core, bot, app, wall, market, settings)


@pytest.fixture
def rig(tmp_path: Path, slack: FakeSlack) -> Iterator[Rig]:
    yield from build_rig(tmp_path, slack)
