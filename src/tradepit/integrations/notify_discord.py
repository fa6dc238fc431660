"""Discord webhook notifier. One embed per event: title, description (the text, markdown
escaped, and the table as a code block), inline fields, a severity colour, a footer and the
event's timestamp. `allowed_mentions` is empty, so no text can ping @everyone or a role."""

from __future__ import annotations

import re
from typing import Any

from pydantic import SecretStr

from tradepit.integrations.events import NotifyEvent, Severity
from tradepit.integrations.notify_http import WebhookNotifier
from tradepit.integrations.render import Message, clip, render, table_text

COLORS = {Severity.INFO: 0x3498DB, Severity.WARNING: 0xF1C40F, Severity.CRITICAL: 0xE74C3C}
MAX_FIELDS = 25  # Discord's limits: 25 fields, title 256, description 4096, value 1024
_MARKDOWN = re.compile(r"([\\*_~`|>])")


def escape(text: str) -> str:
    """Escape Discord markdown so names like `paper_default` show as written."""
    return _MARKDOWN.sub(r"\\\1", text)


def discord_embed(message: Message) -> dict[str, Any]:
    parts = [escape(message.text)] if message.text else []
    if message.table:
        parts.append("```\n" + table_text(message.table).replace("```", "'''") + "\n```")
    embed: dict[str, Any] = {
        "title": clip(escape(message.title), 256),
        "color": COLORS[message.severity],
        "timestamp": message.at.isoformat(),
        "footer": {"text": f"tradepit · {message.severity.value} · {message.kind}"},
    }
    if parts:
        embed["description"] = clip("\n".join(parts), 4096)
    if message.fields:
        embed["fields"] = [
            {"name": clip(f.name, 256), "value": clip(escape(f.value), 1024), "inline": True}
            for f in message.fields[:MAX_FIELDS]
        ]
    return embed


def discord_payload(event: NotifyEvent, username: str = "tradepit") -> dict[str, Any]:
    return {
        "username": username,
        "embeds": [discord_embed(render(event))],
        "allowed_mentions": {"parse": []},
    }


class DiscordWebhookNotifier(WebhookNotifier):
    """Posts to a Discord webhook (see `WebhookNotifier` for how the URL is protected)."""

    default_name = "discord"

    def __init__(self, url: SecretStr, *, username: str = "tradepit", **options: Any) -> None:
        super().__init__(url, **options)
        self.username = username

    def payload(self, event: NotifyEvent) -> dict[str, Any]:
        return discord_payload(event, self.username)
