"""The Slack app (slack-bolt): listeners wired to a `SlackBot`, in Socket Mode or over HTTP.

- `create_bot(settings, core)`: the bot and its Bolt `App` from Settings (fail-closed
  allow-lists, every secret masked in payloads and in the HTTP libraries' logs).
- `build_app(bot, ...)`: the Bolt app. Listeners: ``app_mention``, ``message`` (DMs only),
  ``/tradepit``, the Approve / Reject buttons. Bolt verifies each HTTP request's signature
  (5-minute window); `ReplayGuard` then refuses a signature seen before.
- `socket_mode_handler(app, token, client)`: Socket Mode (app token, no public endpoint).
- `http_server(app, host, port)`: the Events API endpoint at ``/slack/events`` (a threaded
  WSGI server; put it behind HTTPS) and ``/healthz``.
- `Housekeeper`: expires unanswered approvals and posts fills, every few seconds.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from tradepit.clock import SystemClock
from tradepit.domain.errors import ConfigError
from tradepit.integrations.redact import HTTP_LOGGERS, protect_logs
from tradepit.integrations.slack_access import ReplayGuard, SlackPolicy
from tradepit.integrations.slack_battle import latest_leaderboard
from tradepit.integrations.slack_blocks import APPROVE, REJECT
from tradepit.integrations.slack_bot import Leaderboard, Origin, SlackBot
from tradepit.ops.wsgi import wsgi_server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from wsgiref.simple_server import WSGIServer

    from pydantic import SecretStr
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    from tradepit.bootstrap import App as Core
    from tradepit.config import Settings
    from tradepit.domain.ports import Clock

log = logging.getLogger(__name__)

COMMAND = "/tradepit"
EVENTS_PATH = "/slack/events"
SLACK_LOGGERS = (
    *HTTP_LOGGERS,
    "slack_sdk.webhook.client",
    "slack_sdk.socket_mode.builtin.client",
    "tradepit.slack.bolt",
)
"""Loggers whose records get every secret masked (filters act on exact logger names)."""


def _is_dm(channel: str | None, channel_type: str | None = None) -> bool:
    return channel_type == "im" or str(channel or "").startswith("D")


def build_app(
    bot: SlackBot,
    *,
    client: WebClient,
    signing_secret: str,
    clock: Clock | None = None,
    process_before_response: bool = False,
    token_verification_enabled: bool = True,
) -> App:
    """The Bolt app over `bot`. `process_before_response=True` runs listeners before the
    HTTP answer (tests; FaaS), else Slack is acknowledged first and listeners run after."""
    guard = ReplayGuard(clock or SystemClock())
    app = App(
        name="tradepit",
        client=client,
        signing_secret=signing_secret,
        before_authorize=guard,
        process_before_response=process_before_response,
        token_verification_enabled=token_verification_enabled,
        logger=logging.getLogger("tradepit.slack.bolt"),
    )

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        channel = event.get("channel")
        origin = Origin(
            body.get("team_id"),
            channel,
            event.get("user"),
            _is_dm(channel, event.get("channel_type")),
        )
        bot.on_message(
            origin, event.get("text", ""), event["ts"], event.get("thread_ts"), body.get("event_id")
        )

    @app.event("message")
    def on_direct_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        origin = Origin(body.get("team_id"), event.get("channel"), event.get("user"), True)
        bot.on_message(
            origin, event.get("text", ""), event["ts"], event.get("thread_ts"), body.get("event_id")
        )

    @app.command(COMMAND)
    def on_command(ack: Callable[..., None], command: dict[str, Any], respond: Any) -> None:
        ack()
        channel = command.get("channel_id")
        origin = Origin(
            command.get("team_id"),
            channel,
            command.get("user_id"),
            _is_dm(channel) or command.get("channel_name") == "directmessage",
        )
        bot.on_command(origin, command.get("text", ""), respond)

    def on_click(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        origin = Origin(
            (body.get("team") or {}).get("id"),
            channel,
            (body.get("user") or {}).get("id"),
            _is_dm(channel),
        )
        bot.on_decision(
            origin,
            action.get("action_id") == APPROVE,
            str(action.get("value", "")),
            str(message.get("ts") or container.get("message_ts")),
            message.get("thread_ts"),
        )

    app.action(APPROVE)(on_click)
    app.action(REJECT)(on_click)
    return app


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def check_settings(settings: Settings, *, http: bool) -> SlackPolicy:
    """The bot's policy; ConfigError on a missing token or secret (first: without them
    nothing can start), then on allow-lists that would serve nobody."""
    if not _secret(settings.slack_bot_token):
        raise ConfigError("set TRADEPIT_SLACK_BOT_TOKEN (xoxb-...)")
    if http and not _secret(settings.slack_signing_secret):
        raise ConfigError("HTTP mode needs TRADEPIT_SLACK_SIGNING_SECRET")
    if not http and not _secret(settings.slack_app_token):
        raise ConfigError("Socket Mode needs TRADEPIT_SLACK_APP_TOKEN (xapp-...)")
    policy = SlackPolicy.from_settings(settings)
    policy.validate()
    return policy


def create_bot(
    settings: Settings,
    core: Core,
    *,
    http: bool,
    client: WebClient | None = None,
    clock: Clock | None = None,
    leaderboard: Leaderboard | None = None,
    process_before_response: bool = False,
    token_verification_enabled: bool = True,
    policy: SlackPolicy | None = None,
) -> tuple[SlackBot, App]:
    """The bot and its Bolt app from `settings` (see `check_settings`; `policy` is its
    result when the caller checked already). Unless disabled, Bolt checks the bot token
    with ``auth.test`` here."""
    from tradepit.integrations.notify_slack import web_client
    from tradepit.integrations.redact import settings_redactor

    policy = policy or check_settings(settings, http=http)
    token = settings.slack_bot_token
    protect_logs(*settings.secret_fields().values(), loggers=SLACK_LOGGERS)
    assert token is not None
    client = client or web_client(token, settings.slack_api_url, settings.notify_timeout_s)
    bot = SlackBot(
        core,
        client,
        policy,
        redactor=settings_redactor(settings),
        clock=clock,
        leaderboard=leaderboard or latest_leaderboard(core.store, core.clock.now),
    )
    app = build_app(
        bot,
        client=client,
        signing_secret=_secret(settings.slack_signing_secret) if http else "",
        clock=clock,
        process_before_response=process_before_response,
        token_verification_enabled=token_verification_enabled,
    )
    return bot, app


# -- transports ------------------------------------------------------------------------------


def socket_mode_handler(
    app: App, app_token: SecretStr, client: WebClient, ping_interval: float = 10.0
) -> SocketModeHandler:
    """Socket Mode: `connect()` (background) or `start()` (blocks); `close()` to stop. A
    lost or failed connection is retried every `ping_interval` seconds (watch it with
    `slack_socket.SocketWatch`: slack_sdk alone retries forever)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    protect_logs(app_token, loggers=SLACK_LOGGERS)
    return SocketModeHandler(
        app, app_token.get_secret_value(), web_client=client, ping_interval=ping_interval
    )


def http_server(app: App, host: str, port: int, path: str = EVENTS_PATH) -> WSGIServer:
    """A threaded WSGI server: Slack's requests at `path`, ``GET /healthz`` answers ok.
    Call `serve_forever()`; `server_address` has the bound port (0 picks one)."""
    slack = SlackRequestHandler(app, path)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    return wsgi_server(host, port, wsgi)


class Housekeeper:
    """Every `interval_s`: reject expired approvals, post new fills. Failures are logged."""

    def __init__(self, bot: SlackBot, interval_s: float = 15.0) -> None:
        self.bot = bot
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tradepit-slack", daemon=True)

    def start(self) -> Housekeeper:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.tick()

    def tick(self) -> None:
        for job in (self.bot.expire_due, self.bot.poll_fills):
            try:
                job()
            except Exception:
                log.exception("slack housekeeping failed: %s", job.__name__)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
