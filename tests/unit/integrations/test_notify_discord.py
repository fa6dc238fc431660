"""Discord webhook notifier against a loopback server: the exact embed JSON, no mentions,
429 `retry_after` (body, precise) preferred to the Retry-After header, 4xx never retried."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr
from tests.unit.integrations import events_factory as ev
from tests.unit.integrations.conftest import DISCORD_HOOK_PATH, Reply

from tradepit.integrations.notify import (
    NotifyRateLimitedError,
    NotifyRejectedError,
    NotifyUnavailableError,
    RetryPolicy,
)
from tradepit.integrations.notify_discord import DiscordWebhookNotifier


def hook(server, sleeps, **retry) -> DiscordWebhookNotifier:
    url = SecretStr(server.url + DISCORD_HOOK_PATH)
    return DiscordWebhookNotifier(url, retry=RetryPolicy(sleep=sleeps, **retry))


def test_posts_the_exact_embed_json(discord_hook, sleeps):
    hook(discord_hook, sleeps).send(ev.filled())
    [request] = discord_hook.requests
    expected = {
        "username": "tradepit",
        "embeds": [
            {
                "title": "Filled: BUY 100 ACME @ 101.25",
                "color": 0x3498DB,
                "timestamp": "2024-03-05T14:31:00+00:00",
                "footer": {"text": "tradepit · info · order_filled"},
                "fields": [
                    {"name": "Account", "value": "alpha (acct-1)", "inline": True},
                    {"name": "Notional", "value": "10,125.00", "inline": True},
                    {"name": "Commission", "value": "1.00", "inline": True},
                    {"name": "Client order id", "value": "run1-c3-ACME-entry", "inline": True},
                ],
            }
        ],
        "allowed_mentions": {"parse": []},
    }
    assert request.path == DISCORD_HOOK_PATH
    assert request.body == json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode()


def test_halt_is_red_with_reasons_and_markdown_escaped(discord_hook, sleeps):
    notifier = hook(discord_hook, sleeps)
    notifier.send(ev.halted())
    notifier.send(ev.rejected("@everyone size_limit *now*"))
    halted, rejected = (r.json["embeds"][0] for r in discord_hook.requests)
    assert halted["color"] == 0xE74C3C
    assert halted["title"] == "Trading HALTED (global)"
    assert halted["description"] == "• DAILY\\_LOSS\\_HALT: daily P&L -5.20%"
    assert rejected["color"] == 0xF1C40F
    assert rejected["description"] == "@everyone size\\_limit \\*now\\*"
    assert rejected["fields"][1] == {"name": "Account", "value": "paper\\_default", "inline": True}
    assert all(r.json["allowed_mentions"] == {"parse": []} for r in discord_hook.requests)


def test_leaderboard_is_a_code_block(discord_hook, sleeps):
    hook(discord_hook, sleeps).send(ev.battle())
    embed = discord_hook.requests[0].json["embeds"][0]
    assert embed["title"] == "Battle b7 finished: claude wins"
    assert embed["description"] == (
        "```\n"
        "#  Competitor      Equity  Return  Trades  Inference\n"
        "1  claude      101,234.50  +1.23%      12      $0.42\n"
        "2  rules:macd   99,500.00  -0.50%       3      $0.00\n"
        "```"
    )


def test_429_waits_the_body_retry_after(discord_hook, sleeps):
    limited = {"message": "You are being rate limited.", "retry_after": 1.5, "global": False}
    discord_hook.queue(Reply.of_json(429, limited, **{"Retry-After": "2"}))
    hook(discord_hook, sleeps).send(ev.outage())
    assert sleeps == [1.5]
    assert len(discord_hook.requests) == 2


def test_429_header_only(discord_hook, sleeps):
    discord_hook.queue(Reply(429, b"", {"Retry-After": "4"}), Reply(429, b"", {"Retry-After": "4"}))
    hook(discord_hook, sleeps).send(ev.outage())
    assert sleeps == [4.0, 4.0] and len(discord_hook.requests) == 3


def test_unknown_webhook_is_rejected_once(discord_hook, sleeps):
    discord_hook.queue(Reply.of_json(404, {"message": "Unknown Webhook", "code": 10015}))
    with pytest.raises(NotifyRejectedError) as caught:
        hook(discord_hook, sleeps).send(ev.filled())
    assert str(caught.value) == "discord: HTTP 404: Unknown Webhook (code 10015)"
    assert len(discord_hook.requests) == 1 and sleeps == []


def test_persistent_429_ends_rate_limited(discord_hook, sleeps):
    discord_hook.queue(*[Reply.of_json(429, {"retry_after": 0.25})] * 3)
    with pytest.raises(NotifyRateLimitedError) as caught:
        hook(discord_hook, sleeps, attempts=3).send(ev.filled())
    assert isinstance(caught.value, NotifyUnavailableError)
    assert caught.value.retry_after == 0.25
    assert sleeps == [0.25, 0.25]


def test_a_malformed_url_is_a_configuration_error(sleeps):
    url = SecretStr("discord.com/api/webhooks/1/malformed-secret-token")
    with pytest.raises(NotifyRejectedError) as caught:
        DiscordWebhookNotifier(url, retry=RetryPolicy(sleep=sleeps)).send(ev.filled())
    assert str(caught.value) == "discord: refused: invalid webhook URL"
    assert sleeps == []
