"""Secrets never leave: the redaction helpers, and a hub built from Settings whose every
recorded request (bodies and non-credential headers) and every log line is scanned for
every SecretStr of the settings (Alpaca keys included)."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import SecretStr
from tests.unit.integrations import events_factory as ev
from tests.unit.integrations.conftest import BOT_TOKEN, DISCORD_HOOK_PATH, SLACK_HOOK_PATH

from tradepit.config import AlpacaSettings, Settings
from tradepit.domain.errors import ConfigError
from tradepit.integrations.events import Severity
from tradepit.integrations.redact import MASK, Redactor, find_secrets, secret_values
from tradepit.integrations.targets import build_hub, build_routes

OPENAI_KEY = "sk-proj-openai-0123456789"
ALPACA_SECRET = "alpaca-secret-0123456789"
CREDENTIAL_HEADERS = {"authorization"}


def test_secret_values_walk_settings_and_skip_short_or_empty():
    settings = Settings(
        _env_file=None,
        openai_api_key=SecretStr(OPENAI_KEY),
        xai_api_key=SecretStr("short"),
        discord_webhook_url=None,
    )
    found = secret_values(settings, {"nested": [SecretStr("nested-secret-value")]})
    assert found["Settings.openai_api_key"] == OPENAI_KEY
    assert found["nested[0]"] == "nested-secret-value"
    assert not any(name.endswith(("xai_api_key", "discord_webhook_url")) for name in found)


def test_find_secrets_sees_raw_json_escaped_and_url_encoded_forms():
    secrets = {"hook": 'https://hooks.example/a b/"quoted"', "key": OPENAI_KEY}
    assert find_secrets(b"nothing here", secrets) == []
    assert find_secrets(json.dumps({"text": secrets["hook"]}), secrets) == ["hook"]
    assert find_secrets("u=https%3A%2F%2Fhooks.example%2Fa%20b%2F%22quoted%22", secrets) == ["hook"]
    assert find_secrets({"deep": [{"k": OPENAI_KEY}]}, secrets) == ["key"]


def test_redactor_masks_every_form_and_keeps_json_valid():
    redactor = Redactor([SecretStr('tok"en-0123456789'), None, ""])
    payload = {"text": 'leaked tok"en-0123456789 here', "n": 1}
    assert redactor.redact_json(payload) == {"text": f"leaked {MASK} here", "n": 1}


@pytest.fixture
def settings(monkeypatch, tmp_path, slack_hook, slack_api, discord_hook) -> Settings:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALPACA_SECRET_KEY", ALPACA_SECRET)
    return Settings(
        _env_file=None,
        home=tmp_path,
        openai_api_key=SecretStr(OPENAI_KEY),
        slack_webhook_url=SecretStr(slack_hook.url + SLACK_HOOK_PATH),
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_api_url=slack_api.url + "/api/",
        slack_notify_channel="#trading",
        slack_alerts_channel="#alerts",
        discord_webhook_url=SecretStr(discord_hook.url + DISCORD_HOOK_PATH),
        discord_alerts_webhook_url=SecretStr(discord_hook.url + DISCORD_HOOK_PATH + "-alerts"),
    )


def test_targets_and_routing_from_settings(settings):
    routes = build_routes(settings)
    assert [(r.notifier.name, r.severities) for r in routes] == [
        ("slack-webhook", frozenset(Severity)),
        ("slack:#trading", frozenset(Severity)),
        ("slack-alerts:#alerts", frozenset({Severity.CRITICAL})),
        ("discord", frozenset(Severity)),
        ("discord-alerts", frozenset({Severity.CRITICAL})),
    ]
    warn = settings.model_copy(update={"notify_min_severity": "warning"})
    assert build_routes(warn)[0].severities == {Severity.WARNING, Severity.CRITICAL}


def test_a_channel_without_bot_token_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        build_routes(Settings(_env_file=None, home=tmp_path, slack_notify_channel="#x"))


def test_no_secret_in_any_request_or_log_line(
    settings, slack_hook, slack_api, discord_hook, sleeps, caplog
):
    caplog.set_level(logging.DEBUG)
    # Other libraries (litellm) raise httpx's logger level when imported earlier in a run.
    caplog.set_level(logging.DEBUG, logger="httpx")
    secrets = secret_values(settings, AlpacaSettings())
    assert len(secrets) == 6  # 3 webhook URLs, bot token, OpenAI and Alpaca keys
    hub = build_hub(settings, sleep=sleeps)
    leaky = ev.outage(
        f"auth failed with key {OPENAI_KEY} / {ALPACA_SECRET} posting to "
        f"{settings.discord_webhook_url.get_secret_value()} as {BOT_TOKEN}"
    )
    for event in (ev.filled(), ev.rejected(), ev.halted(), leaky, ev.battle()):
        assert hub.publish(event).ok
    hub.close()
    requests = slack_hook.requests + slack_api.requests + discord_hook.requests
    assert len(requests) == 5 + 5 + 2 + 5 + 2  # main targets all, alerts the 2 critical
    for request in requests:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in CREDENTIAL_HEADERS}
        assert find_secrets(request.body, secrets) == [], request.body
        assert find_secrets(headers, secrets) == []
    leaked = [r for r in requests if b"auth failed" in r.body]
    assert len(leaked) == 5 and all(MASK.encode() in r.body for r in leaked)
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("HTTP Request: POST") for m in messages)  # httpx logs each URL
    assert [m for m in messages if find_secrets(m, secrets)] == []
