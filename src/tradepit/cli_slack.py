"""`tradepit slack [--socket | --http --port N]`: run the Slack bot until interrupted.

Socket Mode (the default when TRADEPIT_SLACK_APP_TOKEN is set) needs no public endpoint;
it stops with exit code 1 (and an alert to the notification targets) when Slack stays out
of reach (`TRADEPIT_SLACK_CONNECT_ATTEMPTS`, `TRADEPIT_SLACK_CONNECT_TIMEOUT_S`). HTTP mode
serves the Events API at ``/slack/events`` (put it behind HTTPS).
`register(app)` adds the command to the main CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from urllib.error import URLError

import typer
from rich.console import Console
from rich.markup import escape

from tradepit.cli_common import MetricsPort
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError, TradepitError

if TYPE_CHECKING:
    from slack_bolt import App

    from tradepit.bootstrap import App as Core
    from tradepit.integrations.slack_access import SlackPolicy
    from tradepit.integrations.slack_bot import SlackBot

err = Console(stderr=True)


def slack(
    socket: Annotated[bool, typer.Option("--socket", help="Socket Mode (app token).")] = False,
    http: Annotated[bool, typer.Option("--http", help="HTTP endpoint (Events API).")] = False,
    port: Annotated[int, typer.Option(help="HTTP port.")] = 3000,
    host: Annotated[str, typer.Option(help="HTTP interface to listen on.")] = "127.0.0.1",
    model: Annotated[str | None, typer.Option(help="Model backend spec.")] = None,
    sweep: Annotated[float, typer.Option(help="Seconds between expiry/fill sweeps.")] = 15.0,
    metrics_port: MetricsPort = None,
) -> None:
    """Run the Slack bot: mentions, DMs, /tradepit commands and order approvals."""
    if socket and http:  # before the imports below, which take seconds
        err.print("[bold red]error:[/] give --socket or --http, not both")
        raise typer.Exit(2)
    from tradepit.bootstrap import configure_process, open_app, serve_ops
    from tradepit.integrations.slack import Housekeeper, check_settings

    settings = Settings()
    configure_process(settings)
    use_http = http or (not socket and settings.slack_app_token is None)
    try:
        policy = check_settings(settings, http=use_http)
        with (
            serve_ops(settings, metrics_port, "slack") as ops,
            open_app(settings, model=model, metrics=ops.metrics if ops else None) as core,
        ):
            if ops is not None:
                url = ops.server.url
                err.print(f"metrics on {url}/metrics, health on {url}/healthz", soft_wrap=True)
            bot, app = _start(settings, core, use_http, policy)
            keeper = Housekeeper(bot, sweep).start()
            try:
                _serve(app, settings, use_http, host, port, core)
            finally:
                keeper.stop()
    except TradepitError as e:
        err.print("[bold red]error:[/] " + escape(str(e)), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("stopped")


def _start(
    settings: Settings, core: Core, use_http: bool, policy: SlackPolicy
) -> tuple[SlackBot, App]:
    """The bot; its token is checked with Slack (auth.test) before anything is served."""
    from slack_bolt.error import BoltError

    from tradepit.integrations.redact import settings_redactor
    from tradepit.integrations.slack import create_bot

    try:
        return create_bot(settings, core, http=use_http, policy=policy)
    except (BoltError, URLError, OSError) as e:
        reason = settings_redactor(settings).redact(str(e))[:300]
        raise ConfigError(f"cannot reach Slack at {settings.slack_api_url}: {reason}") from None


def _serve(app: App, settings: Settings, use_http: bool, host: str, port: int, core: Core) -> None:
    from tradepit.integrations.slack import EVENTS_PATH, http_server

    if use_http:
        server = http_server(app, host, port)
        bound = server.server_address[1]
        err.print(f"tradepit slack: HTTP on http://{host}:{bound}{EVENTS_PATH}")
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
        return
    err.print("tradepit slack: Socket Mode")
    _serve_socket(app, settings, core)


def _serve_socket(app: App, settings: Settings, core: Core) -> None:
    """Socket Mode until interrupted; SlackConnectionError (after an alert to the
    notification targets) when Slack stays out of reach."""
    from slack_sdk.errors import SlackClientError

    from tradepit.integrations.redact import settings_redactor
    from tradepit.integrations.slack import socket_mode_handler
    from tradepit.integrations.slack_socket import SlackConnectionError, SocketWatch

    assert settings.slack_app_token is not None
    handler = socket_mode_handler(app, settings.slack_app_token, app.client)
    watch = SocketWatch(
        handler.client, settings.slack_connect_attempts, settings.slack_connect_timeout_s
    )
    try:
        handler.connect()  # apps.connections.open, then the websocket (its failure: logged)
        watch.wait()
    except (SlackClientError, URLError, OSError) as e:  # the app token refused, no API
        reason = settings_redactor(settings).redact(str(e))[:300]
        where = settings.slack_api_url
        raise ConfigError(f"cannot open Slack Socket Mode at {where}: {reason}") from None
    except SlackConnectionError as e:
        _alert(core, e)
        raise
    finally:
        handler.close()


def _alert(core: Core, error: Exception) -> None:
    """A critical alert to the notification targets (none configured: nothing)."""
    from tradepit.clock import SystemClock
    from tradepit.integrations.events import ServiceAlert

    if core.hub is None:
        return
    core.hub.publish(
        ServiceAlert(
            at=SystemClock().now(), alert="error", component="slack-bot",
            error_type=type(error).__name__, message=str(error), level="critical",
        )
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add `slack` to the main CLI."""
    app.command()(slack)
