"""Several fake Alpaca paper accounts behind one server on 127.0.0.1, told apart by the key
headers (``APCA-API-KEY-ID`` / ``APCA-API-SECRET-KEY``) as on Alpaca's paper API. Each
account is a `FakeAlpaca` (its own orders, positions, fills, requests and queued faults);
an unknown key pair gets 401. Market data routes (`FakeAlpacaData`) answer any known pair.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.integration.alpaca.fake_alpaca import FakeAlpaca, LoopbackServer, RoutedHandler


class FakeAlpacaAccounts(LoopbackServer):
    def __init__(self, data: Any = None) -> None:
        self.data = data
        self.accounts: dict[tuple[str, str], FakeAlpaca] = {}
        self.data_keys: set[tuple[str, str]] = set()
        self.unauthorized: list[str] = []
        """Routes asked with an unknown key pair."""
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def add(
        self, key: str, secret: str, account_id: str, *, same_as: FakeAlpaca | None = None
    ) -> FakeAlpaca:
        """A paper account for this key pair (`same_as`: another pair of the same one)."""
        if same_as is not None:
            self.accounts[(key, secret)] = same_as
            return same_as
        account = FakeAlpaca()
        account._server.server_close()  # served here, not by its own server
        account.account["id"] = account_id
        self.accounts[(key, secret)] = account
        return account

    def route(
        self, method: str, path: str, query: dict[str, str], body: Any, keys: tuple[str, str]
    ) -> tuple[int, Any]:
        account = self.accounts.get(keys)
        if account is None and keys not in self.data_keys:
            self.unauthorized.append(f"{method} {path}")
            return 401, {"code": 40110000, "message": "request is not authorized"}
        if path.startswith("/v2/stocks/") and self.data is not None:
            with self._lock:
                answer = self.data.handle(path, query)
            if answer is not None:
                return answer
        if account is None:
            return 403, {"code": 40310000, "message": "forbidden"}
        route = f"{method} {path}"
        account.requests.append(route)
        fault = account.faults[route].popleft() if account.faults[route] else None
        if fault is not None and fault.status is not None:
            return fault.status, fault.body or {"code": fault.status * 100000, "message": "fault"}
        return account.handle(method, path, query, body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(RoutedHandler):
            def _serve(self, method: str) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                keys = (
                    self.headers.get("APCA-API-KEY-ID") or "",
                    self.headers.get("APCA-API-SECRET-KEY") or "",
                )
                status, payload = fake.route(method, parsed.path, query, body, keys)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
