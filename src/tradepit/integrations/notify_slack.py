"""Slack notifiers: an incoming webhook (httpx) and the Web API's chat.postMessage
(slack_sdk `WebClient`, whose `base_url` can point at a local server).

Messages are Block Kit: a header with the severity's emoji, the text and the fields as
mrkdwn sections (``&``, ``<`` and ``>`` escaped, so no text can mention ``<!channel>``), a
table as a code block, and a context line; `text` is the notification fallback.
"""

from __future__ import annotations

from typing import Any
from urllib.error import URLError

from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from tradepit.integrations.events import NotifyEvent, Severity
from tradepit.integrations.notify import (
    NotifyError,
    NotifyRateLimitedError,
    NotifyRejectedError,
    NotifyUnavailableError,
    RetryPolicy,
)
from tradepit.integrations.notify_http import WebhookNotifier
from tradepit.integrations.redact import Redactor, protect_logs
from tradepit.integrations.render import Message, clip, render, table_text

EMOJI = {
    Severity.INFO: ":information_source:",
    Severity.WARNING: ":warning:",
    Severity.CRITICAL: ":rotating_light:",
}
MAX_FIELDS = 10  # Slack's limit per section
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def escape(text: str) -> str:
    """Escape Slack's control characters in mrkdwn text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_blocks(message: Message) -> list[dict[str, Any]]:
    header = clip(f"{EMOJI[message.severity]} {message.title}", 150)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}}
    ]
    if message.text:
        blocks.append(_section(clip(escape(message.text), 3000)))
    if message.fields:
        fields = [
            {"type": "mrkdwn", "text": clip(f"*{escape(f.name)}*\n{escape(f.value)}", 2000)}
            for f in message.fields[:MAX_FIELDS]
        ]
        blocks.append({"type": "section", "fields": fields})
    if message.table:
        blocks.append(_section("```" + clip(escape(table_text(message.table)), 2990) + "```"))
    when = message.at.strftime("%Y-%m-%d %H:%M UTC")
    context = f"{message.severity.value} · {message.kind} · {when}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return blocks


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def slack_payload(event: NotifyEvent) -> dict[str, Any]:
    """`{"text": fallback, "blocks": [...]}` for a webhook or chat.postMessage."""
    message = render(event)
    return {"text": clip(escape(message.title), 3000), "blocks": slack_blocks(message)}


class SlackWebhookNotifier(WebhookNotifier):
    """Posts to a Slack incoming webhook (see `WebhookNotifier` for how the URL is
    protected)."""

    default_name = "slack-webhook"

    def payload(self, event: NotifyEvent) -> dict[str, Any]:
        return slack_payload(event)


def web_client(token: SecretStr, base_url: str, timeout_s: float = 10.0) -> WebClient:
    """A WebClient without slack_sdk's own retries (ours honour Retry-After with an injectable
    sleep); the token is masked in its log records."""
    protect_logs(token)
    return WebClient(
        token=token.get_secret_value(),
        base_url=base_url,
        timeout=max(1, round(timeout_s)),
        retry_handlers=[],
    )


class SlackApiNotifier:
    """Posts to one channel with chat.postMessage (bot token, scope `chat:write`)."""

    def __init__(
        self,
        client: WebClient,
        channel: str,
        *,
        name: str | None = None,
        retry: RetryPolicy | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self._client = client
        self.channel = channel
        self._name = name or f"slack:{channel}"
        self._retry = retry or RetryPolicy()
        self._redactor = redactor or Redactor()
        if client.token:
            self._redactor.add(client.token)

    @property
    def name(self) -> str:
        return self._name

    def send(self, event: NotifyEvent) -> None:
        payload = self._redactor.redact_json(slack_payload(event))
        self._retry.call(self._name, lambda: self._post(payload))

    def _post(self, payload: dict[str, Any]) -> None:
        try:
            self._client.chat_postMessage(
                channel=self.channel, text=payload["text"], blocks=payload["blocks"]
            )
        except SlackApiError as e:
            raise self._translate(e) from None
        except SlackRequestError as e:
            raise NotifyRejectedError(self._name, self._redactor.redact(str(e))[:200]) from None
        except (URLError, OSError) as e:  # connection refused, DNS, timeouts
            reason = self._redactor.redact(str(e))[:200]
            raise NotifyUnavailableError(self._name, f"{type(e).__name__}: {reason}") from None

    def _translate(self, error: SlackApiError) -> NotifyError:
        response = error.response
        status = response.status_code
        data = response.data if isinstance(response.data, dict) else {}
        code = self._redactor.redact(str(data.get("error") or f"HTTP {status}"))[:200]
        if status == 429 or code == "ratelimited":
            return NotifyRateLimitedError(self._name, _header_seconds(response.headers))
        if status >= 500 or code in TRANSIENT_ERRORS:
            return NotifyUnavailableError(self._name, f"HTTP {status}: {code}")
        return NotifyRejectedError(self._name, code, status)

    def close(self) -> None:
        """The WebClient holds no open connection; nothing to release."""


def _header_seconds(headers: dict[str, Any]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
