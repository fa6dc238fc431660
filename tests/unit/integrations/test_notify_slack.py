"""Slack notifiers against loopback servers: the exact JSON posted to the incoming webhook
and to chat.postMessage, 429 Retry-After honoured, 4xx and `ok: false` never retried."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr
from tests.unit.integrations import events_factory as ev
from tests.unit.integrations.conftest import BOT_TOKEN, SLACK_HOOK_PATH, Reply

from tradepit.integrations.notify import (
    NotifyRateLimitedError,
    NotifyRejectedError,
    NotifyUnavailableError,
    RetryPolicy,
)
from tradepit.integrations.notify_slack import SlackApiNotifier, SlackWebhookNotifier, web_client

FILLED_BLOCKS = [
    {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": ":information_source: Filled: BUY 100 ACME @ 101.25",
            "emoji": True,
        },
    },
    {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*Account*\nalpha (acct-1)"},
            {"type": "mrkdwn", "text": "*Notional*\n10,125.00"},
            {"type": "mrkdwn", "text": "*Commission*\n1.00"},
            {"type": "mrkdwn", "text": "*Client order id*\nrun1-c3-ACME-entry"},
        ],
    },
    {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "info · order_filled · 2024-03-05 14:31 UTC"}],
    },
]


def hook(server, sleeps, **retry) -> SlackWebhookNotifier:
    url = SecretStr(server.url + SLACK_HOOK_PATH)
    return SlackWebhookNotifier(url, retry=RetryPolicy(sleep=sleeps, **retry))


def api(server, sleeps, channel="#trading") -> SlackApiNotifier:
    client = web_client(SecretStr(BOT_TOKEN), server.url + "/api/")
    return SlackApiNotifier(client, channel, retry=RetryPolicy(sleep=sleeps))


def test_webhook_posts_the_exact_block_kit_json(slack_hook, sleeps):
    notifier = hook(slack_hook, sleeps)
    notifier.send(ev.filled())
    notifier.close()
    [request] = slack_hook.requests
    expected = {"text": "Filled: BUY 100 ACME @ 101.25", "blocks": FILLED_BLOCKS}
    assert request.path == SLACK_HOOK_PATH
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode()
    assert notifier.name == "slack-webhook" and sleeps == []


def test_web_api_posts_the_exact_message_with_the_bot_token(slack_api, sleeps):
    api(slack_api, sleeps).send(ev.filled())
    [request] = slack_api.requests
    assert request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert request.json == {
        "channel": "#trading",
        "text": "Filled: BUY 100 ACME @ 101.25",
        "blocks": FILLED_BLOCKS,
    }


def test_critical_alert_with_table_and_escaped_text(slack_hook, sleeps):
    notifier = hook(slack_hook, sleeps)
    notifier.send(ev.rejected("size > limit & <!channel> ping"))
    notifier.send(ev.battle())
    rejected, battle = (r.json for r in slack_hook.requests)
    assert rejected["blocks"][0]["text"]["text"] == (
        ":warning: Order rejected by the risk gate: SELL 5 ACME"
    )
    assert rejected["blocks"][1] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "size &gt; limit &amp; &lt;!channel&gt; ping"},
    }
    assert "<!channel>" not in json.dumps(rejected)
    table = battle["blocks"][1]["text"]["text"]
    assert table == (
        "```#  Competitor      Equity  Return  Trades  Inference\n"
        "1  claude      101,234.50  +1.23%      12      $0.42\n"
        "2  rules:macd   99,500.00  -0.50%       3      $0.00```"
    )
    assert battle["text"] == "Battle b7 finished: claude wins"


def test_webhook_429_waits_retry_after_then_succeeds(slack_hook, sleeps):
    slack_hook.queue(Reply.of_text(429, "rate_limited", **{"Retry-After": "7"}))
    hook(slack_hook, sleeps).send(ev.halted())
    assert sleeps == [7.0]
    first, second = slack_hook.requests
    assert first.body == second.body
    assert first.json["blocks"][0]["text"]["text"] == ":rotating_light: Trading HALTED (global)"


def test_webhook_400_is_not_retried(slack_hook, sleeps):
    slack_hook.queue(Reply.of_text(400, "invalid_payload"))
    with pytest.raises(NotifyRejectedError) as caught:
        hook(slack_hook, sleeps).send(ev.filled())
    assert (caught.value.status, caught.value.code) == (400, "invalid_payload")
    assert len(slack_hook.requests) == 1 and sleeps == []
    assert str(caught.value) == "slack-webhook: HTTP 400: invalid_payload"


def test_webhook_5xx_backs_off_then_gives_up(slack_hook, sleeps):
    slack_hook.queue(*[Reply.of_text(503, "upstream down")] * 4)
    with pytest.raises(NotifyUnavailableError, match="HTTP 503"):
        hook(slack_hook, sleeps, attempts=4).send(ev.filled())
    assert len(slack_hook.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_retry_after_beyond_the_cap_gives_up_at_once(slack_hook, sleeps):
    slack_hook.queue(Reply.of_text(429, "rate_limited", **{"Retry-After": "120"}))
    with pytest.raises(NotifyRateLimitedError) as caught:
        hook(slack_hook, sleeps, max_wait_s=30).send(ev.filled())
    assert caught.value.retry_after == 120.0
    assert len(slack_hook.requests) == 1 and sleeps == []


def test_webhook_timeout_is_transient(slack_hook, sleeps):
    slack_hook.queue(Reply(200, b"ok", delay=0.5))
    url = SecretStr(slack_hook.url + SLACK_HOOK_PATH)
    notifier = SlackWebhookNotifier(url, timeout_s=0.1, retry=RetryPolicy(sleep=sleeps))
    notifier.send(ev.filled())  # the first post times out, the retry gets the default 200
    assert len(slack_hook.requests) == 2 and sleeps == [0.5]


def test_unreachable_webhook_is_unavailable(sleeps):
    url = SecretStr("http://127.0.0.1:9" + SLACK_HOOK_PATH)  # discard port: refused
    with pytest.raises(NotifyUnavailableError, match="ConnectError") as caught:
        SlackWebhookNotifier(url, retry=RetryPolicy(attempts=2, sleep=sleeps)).send(ev.filled())
    assert "slackhooksecret" not in str(caught.value)
    assert sleeps == [0.5]


def test_web_api_429_honours_retry_after(slack_api, sleeps):
    slack_api.queue(
        Reply.of_json(429, {"ok": False, "error": "ratelimited"}, **{"Retry-After": "3"})
    )
    api(slack_api, sleeps).send(ev.outage())
    assert sleeps == [3.0]
    assert [r.json["channel"] for r in slack_api.requests] == ["#trading", "#trading"]


def test_web_api_business_error_is_not_retried(slack_api, sleeps):
    slack_api.queue(Reply.of_json(200, {"ok": False, "error": "channel_not_found"}))
    with pytest.raises(NotifyRejectedError) as caught:
        api(slack_api, sleeps, channel="#nowhere").send(ev.filled())
    assert caught.value.code == "channel_not_found"
    assert str(caught.value) == "slack:#nowhere: HTTP 200: channel_not_found"
    assert len(slack_api.requests) == 1 and sleeps == []


def test_web_api_transient_errors_are_retried(slack_api, sleeps):
    slack_api.queue(
        Reply.of_text(502, "<html>bad gateway</html>"),
        Reply.of_json(200, {"ok": False, "error": "internal_error"}),
    )
    api(slack_api, sleeps).send(ev.filled())
    assert len(slack_api.requests) == 3 and sleeps == [0.5, 1.0]
