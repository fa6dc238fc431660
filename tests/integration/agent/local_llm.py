"""A tiny OpenAI-compatible chat-completions server (stdlib http.server) for tests.

`reply(request) -> (status, body)` decides each answer; every request is kept (headers,
JSON body and arrival time) for assertions. A 429 carries ``Retry-After: retry_after``.
Serves on 127.0.0.1 on a free port in a daemon thread.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]


def completion(
    content: str | None = None, tool_calls: list[dict[str, Any]] | None = None, model: str = "m"
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": fn}
            for i, fn in enumerate(tool_calls)
        ]
    return {
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 321, "completion_tokens": 12, "total_tokens": 333},
    }


class LocalLLM:
    def __init__(self, reply: Reply, retry_after: str) -> None:
        self.reply = reply
        self.retry_after = retry_after
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.arrivals: list[float] = []
        """`time.monotonic()` of each request."""
        self.url = ""
        self.errors = 0


@contextmanager
def serve(reply: Reply, retry_after: str = "0") -> Iterator[LocalLLM]:
    state = LocalLLM(reply, retry_after)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            state.arrivals.append(time.monotonic())
            state.requests.append(body)
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            status, payload = state.reply(body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            if status == 429:
                self.send_header("retry-after", state.retry_after)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            state.errors += 1  # e.g. a client that timed out and left: not a test failure

    server = Server(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
