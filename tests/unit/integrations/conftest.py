"""Loopback HTTP servers standing in for the Slack webhook, the Slack Web API and the Discord
webhook: every request is recorded; answers are scripted (a queue, then a default)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

SLACK_HOOK_PATH = "/services/T0000TEST/B0000TEST/slackhooksecret0123456789"
DISCORD_HOOK_PATH = "/api/webhooks/112233445566/discordhooksecret-0123456789"
BOT_TOKEN = "xoxb-0000-1111-botsecrettoken"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def of_json(cls, status: int, payload: Any, **headers: str) -> Reply:
        headers = {"Content-Type": "application/json", **headers}
        return cls(status, json.dumps(payload).encode(), headers)

    @classmethod
    def of_text(cls, status: int, text: str, **headers: str) -> Reply:
        return cls(status, text.encode(), {"Content-Type": "text/plain", **headers})


class FakeServer:
    """`queue(reply)` scripts the next answers; afterwards `default` answers."""

    def __init__(self, default: Reply) -> None:
        self.default = default
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def queue(self, *replies: Reply) -> None:
        self._replies.extend(replies)

    def _next(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            return self._replies.popleft() if self._replies else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                reply = server._next(Recorded("POST", self.path, dict(self.headers), body))
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left: that is the scenario under test

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        return Handler

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def slack_hook() -> Iterator[FakeServer]:
    with FakeServer(Reply.of_text(200, "ok")) as server:
        yield server


@pytest.fixture
def slack_api() -> Iterator[FakeServer]:
    ok = Reply.of_json(200, {"ok": True, "channel": "C0TRADING", "ts": "1709650800.000100"})
    with FakeServer(ok) as server:
        yield server


@pytest.fixture
def discord_hook() -> Iterator[FakeServer]:
    with FakeServer(Reply(204)) as server:
        yield server


class Sleeps(list):
    """An injectable `sleep` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
