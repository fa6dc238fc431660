"""A finished battle is announced to the notification targets (a Slack incoming webhook
on loopback here), with its ranking; `--live` refuses what it cannot do."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from tradepit.cli import app

runner = CliRunner()


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_a_finished_battle_is_announced(tmp_path, monkeypatch, webhook):
    url, received = webhook
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path))
    monkeypatch.setenv("TRADEPIT_SLACK_WEBHOOK_URL", url)
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    result = runner.invoke(app, [
        "battle", "--models", "rules:supertrend,rules:buy_and_hold", "--symbols", "SPX",
        "--start", "2017-09-25", "--end", "2017-10-13", "--run-id", "b-notify", "--json",
        "--concurrency", "sequential",
    ], catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.stdout
    board = json.loads(result.stdout)
    [message] = received
    text = json.dumps(message)
    assert "b-notify" in text
    for score in board["samples"][0]["scores"]:
        assert score["name"] in text


def test_live_battle_needs_live_data_and_an_end(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path))
    monkeypatch.delenv("TRADEPIT_DATA", raising=False)
    monkeypatch.delenv("TRADEPIT_BROKER", raising=False)
    args = ["battle", "--models", "rules:supertrend", "--symbols", "MSFT", "--live"]
    no_data = runner.invoke(app, [*args, "--end", "2030-01-01"])
    assert no_data.exit_code != 0 and "TRADEPIT_DATA=alpaca" in no_data.output
    monkeypatch.setenv("TRADEPIT_DATA", "alpaca")
    no_end = runner.invoke(app, args)
    assert no_end.exit_code != 0 and "--end" in no_end.output
