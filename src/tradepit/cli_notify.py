"""`tradepit notify test`: send a test event to each configured notification target and
print the result per target (exit 1 when one failed). `register(app)` adds the group."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from tradepit.config import Settings
from tradepit.domain.errors import ConfigError

if TYPE_CHECKING:
    from tradepit.integrations.notify import Notifier

notify_app = typer.Typer(help="Notifications: Slack and Discord.", no_args_is_help=True)

ChannelOption = Annotated[
    list[str] | None,
    typer.Option(
        "--channel",
        "-c",
        help="Only this target (repeatable): a name (slack-webhook, discord-alerts, "
        "slack:#trading), a group (slack, slack-webhook, discord), or any Slack channel "
        "(posted through the Web API with TRADEPIT_SLACK_BOT_TOKEN).",
    ),
]
NONE_CONFIGURED = (
    "no notification target configured: set TRADEPIT_SLACK_WEBHOOK_URL, "
    "TRADEPIT_DISCORD_WEBHOOK_URL, or TRADEPIT_SLACK_BOT_TOKEN with TRADEPIT_SLACK_NOTIFY_CHANNEL"
)


TARGET_SETTINGS = {
    "slack-webhook": "TRADEPIT_SLACK_WEBHOOK_URL",
    "slack-webhook-alerts": "TRADEPIT_SLACK_ALERTS_WEBHOOK_URL",
    "slack": "TRADEPIT_SLACK_BOT_TOKEN with TRADEPIT_SLACK_NOTIFY_CHANNEL",
    "slack-alerts": "TRADEPIT_SLACK_BOT_TOKEN with TRADEPIT_SLACK_ALERTS_CHANNEL",
    "discord": "TRADEPIT_DISCORD_WEBHOOK_URL",
    "discord-alerts": "TRADEPIT_DISCORD_ALERTS_WEBHOOK_URL",
}
"""The built-in target names and the settings that configure them."""


def _group(name: str) -> str:
    return name.split(":", 1)[0].removesuffix("-alerts")


def _matches(name: str, wanted: str) -> bool:
    channel = name.split(":", 1)[1] if ":" in name else None
    return wanted in (name, _group(name), channel)


def select_targets(
    notifiers: list[Notifier], wanted: list[str], settings: Settings
) -> list[Notifier]:
    """The notifiers `--channel` asks for; a value that names no target is taken as a Slack
    channel for the Web API (ConfigError without a bot token)."""
    if not wanted:
        return notifiers
    chosen = [n for n in notifiers if any(_matches(n.name, w) for w in wanted)]
    extra = [w for w in wanted if not any(_matches(n.name, w) for n in notifiers)]
    known = ", ".join(n.name for n in notifiers) or "none"
    unset = [w for w in extra if w in TARGET_SETTINGS]
    if unset:
        needs = "; ".join(f"{w} needs {TARGET_SETTINGS[w]}" for w in unset)
        raise ConfigError(f"{', '.join(unset)} not configured (configured: {known}): {needs}")
    token = settings.slack_bot_token
    if extra and (token is None or not token.get_secret_value()):
        raise ConfigError(
            f"no target {', '.join(extra)} (configured: {known}); "
            "posting to another Slack channel needs TRADEPIT_SLACK_BOT_TOKEN"
        )
    if extra and token is not None:
        from tradepit.integrations.notify_slack import SlackApiNotifier, web_client
        from tradepit.integrations.targets import retry_policy, settings_redactor

        client = web_client(token, settings.slack_api_url, settings.notify_timeout_s)
        redactor, retry = settings_redactor(settings), retry_policy(settings)
        chosen += [
            SlackApiNotifier(client, w, name=f"slack:{w}", retry=retry, redactor=redactor)
            for w in extra
        ]
    return chosen


@notify_app.command("test")
def send_test(channel: ChannelOption = None) -> None:
    """Send a test message to each configured target and show the result per target."""
    from tradepit.clock import SystemClock
    from tradepit.integrations.events import Ping
    from tradepit.integrations.notify import NotifyError
    from tradepit.integrations.targets import build_routes

    settings = Settings()
    try:
        routes = build_routes(settings)
        notifiers = select_targets([r.notifier for r in routes], channel or [], settings)
    except ConfigError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    if not notifiers:
        typer.echo(f"error: {NONE_CONFIGURED}", err=True)
        raise typer.Exit(1)
    event = Ping(at=SystemClock().now())
    failed = 0
    for notifier in notifiers:
        started = time.perf_counter()
        try:
            notifier.send(event)
        except NotifyError as e:
            failed += 1
            typer.echo(f"FAIL  {notifier.name}  {e}")
        else:
            typer.echo(f"ok    {notifier.name}  ({time.perf_counter() - started:.2f} s)")
        finally:
            notifier.close()
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `notify` command group to the main CLI."""
    app.add_typer(notify_app, name="notify")
