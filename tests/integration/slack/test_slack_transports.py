"""The two ways Slack reaches the bot: the HTTP endpoint (a real server on loopback, signed
requests over the wire) and Socket Mode (a local websocket server standing in for Slack)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qsl

import httpx
import pytest
from pydantic import SecretStr
from tests.integration.slack.conftest import SECRETS, SIGNING_SECRET, Rig
from tests.integration.slack.fakes import FakeSlack, command_body, sign
from websockets.sync.server import ServerConnection, serve

from tradepit.integrations.slack import http_server, socket_mode_handler

CHANNEL, ALICE = "C0TRADE1", "U0ALICE1"


@pytest.fixture
def endpoint(rig: Rig) -> Iterator[str]:
    server = http_server(rig.app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def post(url: str, body: str, headers: dict[str, str], content_type: str) -> httpx.Response:
    return httpx.post(url, content=body, headers={**headers, "Content-Type": content_type})


def test_http_endpoint_verifies_signatures_and_refuses_replays(rig: Rig, endpoint: str):
    assert httpx.get(endpoint + "/healthz").text == "ok"
    challenge = json.dumps({"type": "url_verification", "challenge": "c0ffee", "token": "x"})
    signed = sign(SIGNING_SECRET, challenge)
    url = endpoint + "/slack/events"
    answer = post(url, challenge, signed, "application/json")
    assert answer.status_code == 200 and answer.json() == {"challenge": "c0ffee"}
    assert post(url, challenge, signed, "application/json").status_code == 401  # replay
    assert post(url, challenge, {}, "application/json").status_code == 401  # unsigned

    body = command_body("status", ALICE, CHANNEL, rig.slack.response_url())
    form = "application/x-www-form-urlencoded"
    assert post(url, body, sign(SIGNING_SECRET, body), form).status_code == 200
    [answer] = rig.slack.of("respond")
    assert answer.data["text"] == "tradepit status: trading active"
    assert httpx.post(endpoint + "/elsewhere", content=body).status_code == 404


def ws_slack(envelopes: list[dict], acks: list[dict], done: threading.Event) -> object:
    """A websocket handler: hello, then each envelope, collecting the app's acks."""

    def handle(ws: ServerConnection) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1}))
        for envelope in envelopes:
            ws.send(json.dumps(envelope))
            acks.append(json.loads(ws.recv(timeout=10)))
        done.wait(10)  # then close from this side, as Slack does on a refresh

    return handle


def test_socket_mode_serves_commands_through_the_app_token(rig: Rig, slack: FakeSlack):
    payload = dict(parse_qsl(command_body("status", ALICE, CHANNEL, slack.response_url())))
    envelope = {"envelope_id": "env-1", "type": "slash_commands", "payload": payload,
                "accepts_response_payload": True}  # fmt: skip
    acks: list[dict] = []
    done = threading.Event()
    with serve(ws_slack([envelope], acks, done), "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        slack.socket_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link"
        handler = socket_mode_handler(
            rig.app, SecretStr(SECRETS["slack_app_token"]), rig.app.client
        )
        handler.connect()
        try:
            deadline = time.monotonic() + 10
            while not (slack.of("respond") and acks) and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:  # the client first: closed by the server, it reconnects, and slack_sdk's
            handler.close()  # disconnect races that reconnect ('NoneType' has no 'close')
            done.set()
            server.shutdown()
    assert acks and acks[0]["envelope_id"] == "env-1"
    [opened] = slack.of("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {SECRETS['slack_app_token']}"
    [answer] = slack.of("respond")
    assert answer.data["text"] == "tradepit status: trading active"
