"""`tradepit slack`: refuses to start without what it needs, and serves Slack over HTTP in
a real process (acknowledging first, answering after) until interrupted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import typer
from tests.integration.slack.conftest import SECRETS, SIGNING_SECRET
from tests.integration.slack.fakes import (
    TEAM,
    FakeSlack,
    command_body,
    event_body,
    mention_event,
    sign,
)
from typer.testing import CliRunner

from tradepit import cli_slack
from tradepit.ops import server as ops_server
from tradepit.ops.server import OpsServer


def cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    cli_slack.register(app)
    return app


def env(home: Path, api_url: str, **extra: str) -> dict[str, str]:
    values = {
        "TRADEPIT_HOME": str(home),
        "TRADEPIT_MEMORY_BACKEND": "off",
        "TRADEPIT_SLACK_API_URL": api_url,
        "TRADEPIT_SLACK_BOT_TOKEN": SECRETS["slack_bot_token"],
        "TRADEPIT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TRADEPIT_SLACK_ALLOWED_TEAMS": TEAM,
        "TRADEPIT_SLACK_ALLOWED_CHANNELS": "C0TRADE1",
        "TRADEPIT_SLACK_ALLOWED_USERS": "U0ALICE1",
        "TRADEPIT_SLACK_APPROVERS": "U0ALICE1",
    }
    values.update(extra)
    return values


@pytest.mark.parametrize(
    ("args", "unset", "message"),
    [
        (["--http"], "TRADEPIT_SLACK_BOT_TOKEN", "set TRADEPIT_SLACK_BOT_TOKEN"),
        (["--http"], "TRADEPIT_SLACK_SIGNING_SECRET", "HTTP mode needs TRADEPIT_SLACK_SIGNING"),
        (["--socket"], "", "Socket Mode needs TRADEPIT_SLACK_APP_TOKEN"),
        (["--http"], "TRADEPIT_SLACK_ALLOWED_TEAMS", "set TRADEPIT_SLACK_ALLOWED_TEAMS"),
        (["--http"], "TRADEPIT_SLACK_ALLOWED_USERS", "set TRADEPIT_SLACK_ALLOWED_USERS"),
        (["--http"], "", "cannot reach Slack"),
        (["--socket"], "everything", "set TRADEPIT_SLACK_BOT_TOKEN"),  # not the allow-lists
    ],
)
def test_refuses_to_start_without_its_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], unset: str, message: str
):
    monkeypatch.chdir(tmp_path)  # no .env
    values = env(tmp_path / "home", "http://127.0.0.1:9/api/")
    values.pop(unset, None)
    if unset == "everything":
        values = {"TRADEPIT_HOME": values["TRADEPIT_HOME"]}
    if unset == "TRADEPIT_SLACK_ALLOWED_USERS":
        values.pop("TRADEPIT_SLACK_APPROVERS")
    for name in list(os.environ):
        if name.startswith("TRADEPIT_"):
            monkeypatch.delenv(name)
    result = CliRunner().invoke(cli(), ["slack", *args], env=values)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_socket_and_http_together_is_a_usage_error():
    result = CliRunner().invoke(cli(), ["slack", "--socket", "--http"])
    assert result.exit_code == 2


def test_socket_and_http_together_is_refused_before_the_app_is_imported():
    """It took 15 s (the agent's imports) to say so."""
    script = (
        "import sys\nfrom tradepit.cli import app\n"
        "try:\n    app(['slack', '--socket', '--http'])\n"
        "except SystemExit as e:\n    print(e.code, 'tradepit.bootstrap' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.split() == ["2", "False"], done.stderr
    assert "give --socket or --http, not both" in done.stderr


def test_socket_mode_stops_when_slack_stays_out_of_reach(tmp_path: Path, slack: FakeSlack):
    """apps.connections.open answers a websocket URL nobody listens on: slack_sdk retries
    forever; the command (a real process: it hung until killed) gives up after the time
    limit, alerts, and exits 1 in one line. Without approvers the warning says so once."""
    slack.socket_url = "ws://127.0.0.1:1/link"
    webhook = f"{slack.url}/hooks/T0/B0/alerts0123456789"
    values = env(tmp_path / "home", slack.api_url,
                 TRADEPIT_SLACK_APP_TOKEN=SECRETS["slack_app_token"],
                 TRADEPIT_SLACK_CONNECT_TIMEOUT_S="1", TRADEPIT_SLACK_WEBHOOK_URL=webhook,
                 TRADEPIT_NOTIFY_MAX_ATTEMPTS="1")  # fmt: skip
    values.pop("TRADEPIT_SLACK_APPROVERS")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TRADEPIT_")}
    done = subprocess.run(
        [sys.executable, "-c", "from tradepit.cli import app; app()", "slack", "--socket"],
        env=inherited | values, cwd=tmp_path, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith("error: no Slack Socket Mode connection: ")
    assert "check the network and TRADEPIT_SLACK_APP_TOKEN" in lines[0]
    assert done.stderr.count("no Slack approver") == 1
    assert "Traceback" not in done.stderr
    [alert] = [c for c in slack.calls if c.path.startswith("/hooks/")]
    assert "slack-bot" in alert.raw.decode() and "SlackConnectionError" in alert.raw.decode()


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_tradepit_slack_serves_http_until_stopped(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
):
    """The command in-process (a thread), its HTTP server captured to stop it."""
    from tradepit.integrations import slack as slack_module

    monkeypatch.chdir(tmp_path)
    for name, value in env(tmp_path / "home", slack.api_url).items():
        monkeypatch.setenv(name, value)
    servers: list = []
    real = slack_module.http_server

    def capture(*args, **kwargs):
        servers.append(real(*args, **kwargs))
        return servers[-1]

    monkeypatch.setattr(slack_module, "http_server", capture)
    ops: list = []

    class Ops(OpsServer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            ops.append(self)

    monkeypatch.setattr(ops_server, "OpsServer", Ops)
    results: list = []
    args = ["slack", "--http", "--port", "0", "--sweep", "0.2", "--metrics-port", "0"]
    thread = threading.Thread(target=lambda: results.append(CliRunner().invoke(cli(), args)))
    thread.start()
    try:
        wait_for(lambda: servers)
        url = f"http://127.0.0.1:{servers[0].server_address[1]}/slack/events"
        assert slack.of("auth.test"), "the token is checked at start-up"

        body = command_body("status", "U0ALICE1", "C0TRADE1", slack.response_url())
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        answer = httpx.post(url, content=body, headers={**sign(SIGNING_SECRET, body), **form})
        assert answer.status_code == 200 and answer.text == ""  # acknowledged first
        wait_for(lambda: slack.of("respond"))
        assert slack.of("respond")[0].data["text"] == "tradepit status: trading active"

        event = event_body(mention_event("price of SPX", "U0ALICE1", "C0TRADE1", "1.000001"), "E1")
        js = {"Content-Type": "application/json"}
        answer = httpx.post(url, content=event, headers={**sign(SIGNING_SECRET, event), **js})
        assert answer.status_code == 200
        wait_for(lambda: slack.of("chat.postMessage"))
        reply = slack.of("chat.postMessage")[0].data
        assert reply["thread_ts"] == "1.000001" and reply["text"].startswith("SPX")
        assert SECRETS["slack_bot_token"] not in json.dumps([c.data for c in slack.calls])
        exposed = httpx.get(f"{ops[0].url}/metrics").text  # the bot's model calls
        assert 'tradepit_model_calls_total{backend="rules:supertrend",outcome="ok"}' in exposed
        assert httpx.get(f"{ops[0].url}/healthz").json()["status"] == "ok"
    finally:
        wait_for(lambda: servers)
        servers[0].shutdown()
        thread.join(20)
    [result] = results
    assert result.exit_code == 0, result.output
    assert "tradepit slack: HTTP on http://127.0.0.1:" in result.output
