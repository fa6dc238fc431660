"""Notification targets from Settings: which notifiers exist and which severities they get.

Main targets (`slack_webhook_url`, `slack_notify_channel`, `discord_webhook_url`) get events
from `notify_min_severity` up; alerts targets (`slack_alerts_webhook_url`,
`slack_alerts_channel`, `discord_alerts_webhook_url`) from `notify_alerts_min_severity` up.
Every secret of the settings (and the Alpaca keys) is masked in every payload.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tradepit.config import Settings
from tradepit.domain.errors import ConfigError
from tradepit.integrations.events import Severity
from tradepit.integrations.hub import NotificationHub, Route
from tradepit.integrations.notify import Notifier, RetryPolicy
from tradepit.integrations.redact import Redactor, settings_redactor

if TYPE_CHECKING:
    from tradepit.storage import Store


def retry_policy(settings: Settings, sleep: Callable[[float], None] = time.sleep) -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.notify_max_attempts, max_wait_s=settings.notify_max_wait_s, sleep=sleep
    )


def build_routes(
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    redactor: Redactor | None = None,
    store: Store | None = None,
) -> list[Route]:
    """One route per configured target (none configured: an empty list). With a `store`,
    daily summaries posted through the Slack Web API are followed by their equity chart."""
    from tradepit.integrations.notify_discord import DiscordWebhookNotifier
    from tradepit.integrations.notify_slack import (
        SlackApiNotifier,
        SlackWebhookNotifier,
        web_client,
    )

    retry = retry_policy(settings, sleep)
    redactor = redactor or settings_redactor(settings)
    main = Severity(settings.notify_min_severity).and_above()
    alerts = Severity(settings.notify_alerts_min_severity).and_above()
    common = {"retry": retry, "redactor": redactor, "timeout_s": settings.notify_timeout_s}
    routes: list[Route] = []
    for url, name, severities in (
        (settings.slack_webhook_url, "slack-webhook", main),
        (settings.slack_alerts_webhook_url, "slack-webhook-alerts", alerts),
    ):
        if url is not None and url.get_secret_value():
            routes.append(Route(SlackWebhookNotifier(url, name=name, **common), severities))
    channels = [
        (channel, name, severities)
        for channel, name, severities in (
            (settings.slack_notify_channel, "slack", main),
            (settings.slack_alerts_channel, "slack-alerts", alerts),
        )
        if channel
    ]
    if channels:
        token = settings.slack_bot_token
        if token is None or not token.get_secret_value():
            raise ConfigError("a Slack notify/alerts channel needs TRADEPIT_SLACK_BOT_TOKEN")
        client = web_client(token, settings.slack_api_url, settings.notify_timeout_s)
        for channel, name, severities in channels:
            notifier = SlackApiNotifier(
                client, channel, name=f"{name}:{channel}", retry=retry, redactor=redactor
            )
            if store is not None:
                notifier = _with_charts(notifier, client, channel, redactor, store)
            routes.append(Route(notifier, severities))
    for url, name, severities in (
        (settings.discord_webhook_url, "discord", main),
        (settings.discord_alerts_webhook_url, "discord-alerts", alerts),
    ):
        if url is not None and url.get_secret_value():
            routes.append(Route(DiscordWebhookNotifier(url, name=name, **common), severities))
    return routes


def _with_charts(
    notifier: Notifier, client: Any, channel: str, redactor: Redactor, store: Store
) -> Notifier:
    """Daily summaries followed by their chart (other events pass through unchanged)."""
    from tradepit.integrations.slack_charts import summary_chart
    from tradepit.integrations.slack_uploads import ChartNotifier, Uploader

    chart = summary_chart(store, redactor.redact)
    return ChartNotifier(notifier, Uploader(client, redactor), channel, chart)


def build_hub(
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    store: Store | None = None,
) -> NotificationHub:
    """The hub over every configured target (a hub without routes does nothing); `store`
    adds the charts of daily summaries (see `build_routes`)."""
    redactor = settings_redactor(settings)
    routes = build_routes(settings, sleep=sleep, redactor=redactor, store=store)
    return NotificationHub(routes, redactor)
