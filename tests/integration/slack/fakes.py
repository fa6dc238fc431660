"""A loopback stand-in for Slack: the Web API (``/api/<method>``), response URLs
(``/respond/<n>``) and file upload URLs (``/upload/<file id>``, handed out by
``files.getUploadURLExternal``), recording every request; plus signed Bolt requests as Slack
sends them."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

BOT_USER = "UBOT0001"
TEAM = "T0TEAM01"
_TRIGGERS = itertools.count(1)
"""Slack gives every command and click a unique trigger id."""


@dataclass(frozen=True)
class Call:
    """One request the app made: its path, headers and body."""

    path: str
    headers: dict[str, str]
    raw: bytes
    answer: dict[str, Any]

    @property
    def method(self) -> str:
        """The Web API method, or ``upload`` / ``respond`` for those URLs."""
        if self.path.startswith(("/upload/", "/respond/")):
            return self.path.split("/")[1]
        return self.path.removeprefix("/api/")

    @property
    def data(self) -> dict[str, Any]:
        text = self.raw.decode("utf-8")
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(text) if text else {}
        return {k: v[0] for k, v in parse_qs(text).items()}

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.data.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    def text_of_blocks(self) -> str:
        return json.dumps(self.blocks)


class FakeSlack:
    """Answers ``ok`` to every Web API method (``chat.postMessage`` with increasing ts);
    `fail(method, error)` makes a method answer ``ok: false`` once (``fail("upload", "500")``:
    the next upload POST answers HTTP 500). Uploaded bytes are kept by file id (`files`)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._ts = 1_700_000_000
        self._failures: dict[str, list[str]] = {}
        self._file_ids = itertools.count(1)
        self.files: dict[str, bytes] = {}
        """Bytes POSTed to each upload URL, by file id."""
        self.socket_url = ""
        """What ``apps.connections.open`` answers (Socket Mode's websocket URL)."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, n: int = 1) -> str:
        return f"{self.url}/respond/{n}"

    def fail(self, method: str, error: str) -> None:
        self._failures.setdefault(method, []).append(error)

    def of(self, method: str) -> list[Call]:
        """Calls of a Web API method (``chat.postMessage``) or ``respond``."""
        with self._lock:
            if method == "respond":
                return [c for c in self.calls if c.path.startswith("/respond/")]
            return [c for c in self.calls if c.method == method]

    def messages(self) -> list[Call]:
        return [c for c in self.calls if c.method != "auth.test"]

    def uploads(self) -> list[tuple[Call, bytes]]:
        """Each completed upload (its ``files.completeUploadExternal`` call) with its bytes."""
        out = []
        for call in self.of("files.completeUploadExternal"):
            if call.answer.get("ok"):
                [file] = json.loads(call.data["files"])
                out.append((call, self.files[file["id"]]))
        return out

    def _answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict]:
        """(HTTP status, JSON answer) of one request, recorded."""
        with self._lock:
            call = Call(path, headers, raw, {})
            failures = self._failures.get(call.method)
            status = 200
            if failures and call.method == "upload":
                status, answer = int(failures.pop(0)), {"ok": False}
            elif failures:
                answer = {"ok": False, "error": failures.pop(0)}
            elif call.method == "upload":
                self.files[path.removeprefix("/upload/")] = raw
                answer = {"ok": True}
            elif call.method == "files.getUploadURLExternal":
                file_id = f"F{next(self._file_ids):08d}"
                answer = {"ok": True, "upload_url": f"{self.url}/upload/{file_id}",
                          "file_id": file_id}  # fmt: skip
            elif call.method == "files.completeUploadExternal":
                files = json.loads(call.data["files"])
                answer = {"ok": True, "files": [{"id": f["id"]} for f in files]}
                if not all(f["id"] in self.files for f in files):  # bytes never POSTed
                    answer = {"ok": False, "error": "file_not_found"}
            elif call.method == "apps.connections.open":
                answer = {"ok": True, "url": self.socket_url}
            elif call.method == "auth.test":
                answer = {"ok": True, "user_id": BOT_USER, "bot_id": "B0BOT001", "team_id": TEAM}
            else:
                self._ts += 1
                answer = {
                    "ok": True,
                    "channel": call.data.get("channel"),
                    "ts": f"{self._ts}.000100",
                }
            self.calls.append(Call(path, headers, raw, answer))
            return status, answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fake._answer(self.path, dict(self.headers), body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        return Handler

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`, signed with `secret`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"x-slack-request-timestamp": ts, "x-slack-signature": signature or ""}


def bolt_request(body: str, headers: dict[str, str], json_body: bool) -> BoltRequest:
    content_type = "application/json" if json_body else "application/x-www-form-urlencoded"
    return BoltRequest(body=body, headers={**headers, "content-type": content_type})


def event_body(event: dict[str, Any], event_id: str, team: str = TEAM) -> str:
    return json.dumps(
        {"type": "event_callback", "team_id": team, "event_id": event_id, "event": event}
    )


def mention_event(text: str, user: str, channel: str, ts: str, thread_ts: str | None = None):
    event = {"type": "app_mention", "user": user, "channel": channel, "ts": ts, "text": text}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def command_body(text: str, user: str, channel: str, response_url: str, team: str = TEAM) -> str:
    return urlencode(
        {
            "command": "/tradepit",
            "text": text,
            "team_id": team,
            "channel_id": channel,
            "user_id": user,
            "response_url": response_url,
            "trigger_id": f"{next(_TRIGGERS)}.2.3",
            "channel_name": "trading",
        }
    )


def action_body(
    action_id: str, value: str, user: str, channel: str, message_ts: str, thread_ts: str,
    team: str = TEAM, response_url: str = "",
) -> str:  # fmt: skip
    payload = {
        "type": "block_actions",
        "team": {"id": team},
        "user": {"id": user},
        "container": {"type": "message", "channel_id": channel, "message_ts": message_ts},
        "channel": {"id": channel},
        "message": {"ts": message_ts, "thread_ts": thread_ts, "text": "", "blocks": []},
        "response_url": response_url,
        "trigger_id": f"{next(_TRIGGERS)}.2.3",
        "actions": [{"action_id": action_id, "block_id": "tradepit_approval", "value": value,
                     "type": "button", "action_ts": "1.2"}],
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)})


def every_request(fake: FakeSlack) -> Iterator[tuple[str, str]]:
    """(where, text) of every recorded request: path, each header but Authorization, body
    (a binary body, an uploaded file, byte for byte as Latin-1)."""
    for call in list(fake.calls):
        yield "path", call.path
        for name, value in call.headers.items():
            if name.lower() != "authorization":
                yield f"header {name}", value
        try:
            yield "body", call.raw.decode("utf-8")
        except UnicodeDecodeError:
            yield "body", call.raw.decode("latin-1")
