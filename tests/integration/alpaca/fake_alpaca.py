"""A small stateful imitation of Alpaca's trading API on 127.0.0.1, for fault and
reconciliation tests. Payloads follow Alpaca's REST JSON (as alpaca-py parses it).

Faults are queued per route ("POST /v2/orders"): `Fault(status=500)` answers an error
without processing; `Fault(delay=0.5)` processes the request, then answers late (the
client has timed out by then: "timeout after submit").
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlparse

ACCOUNT_ID = "a1b2c3d4-0000-4000-8000-000000000001"


@dataclass
class Fault:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    delay: float = 0.0


def order_json(
    symbol: str,
    side: str,
    qty: str,
    *,
    client_order_id: str,
    type: str = "market",
    limit_price: str | None = None,
    status: str = "accepted",
    filled_qty: str = "0",
    filled_avg_price: str | None = None,
    at: str = "2024-03-04T15:00:00Z",
    order_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": order_id or str(uuid.uuid4()),
        "client_order_id": client_order_id,
        "created_at": at,
        "updated_at": at,
        "submitted_at": at,
        "filled_at": at if status == "filled" else None,
        "expired_at": None,
        "canceled_at": None,
        "failed_at": None,
        "replaced_at": None,
        "replaced_by": None,
        "replaces": None,
        "asset_id": "904837e3-3b76-47ec-b432-046db621571b",
        "symbol": symbol,
        "asset_class": "us_equity",
        "notional": None,
        "qty": qty,
        "filled_qty": filled_qty,
        "filled_avg_price": filled_avg_price,
        "order_class": "",
        "order_type": type,
        "type": type,
        "side": side,
        "time_in_force": "day",
        "limit_price": limit_price,
        "stop_price": None,
        "status": status,
        "extended_hours": False,
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
        "position_intent": "buy_to_open" if side == "buy" else "sell_to_close",
    }


def position_json(symbol: str, qty: str, entry: str, price: str) -> dict[str, Any]:
    value = str(float(qty) * float(price))
    return {
        "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
        "symbol": symbol,
        "exchange": "NASDAQ",
        "asset_class": "us_equity",
        "asset_marginable": True,
        "avg_entry_price": entry,
        "qty": qty,
        "qty_available": qty,
        "side": "long" if float(qty) > 0 else "short",
        "market_value": value,
        "cost_basis": str(float(qty) * float(entry)),
        "unrealized_pl": "0",
        "unrealized_plpc": "0",
        "unrealized_intraday_pl": "0",
        "unrealized_intraday_plpc": "0",
        "current_price": price,
        "lastday_price": price,
        "change_today": "0",
    }


def fill_json(order: dict[str, Any], qty: str, price: str, at: str) -> dict[str, Any]:
    return {
        "id": f"{at.replace('-', '').replace(':', '').replace('T', '')[:17]}::{uuid.uuid4()}",
        "activity_type": "FILL",
        "transaction_time": at,
        "type": "fill",
        "price": price,
        "qty": qty,
        "side": order["side"],
        "symbol": order["symbol"],
        "leaves_qty": "0",
        "order_id": order["id"],
        "cum_qty": qty,
        "order_status": "filled",
    }


def asset_json(symbol: str, tradable: bool = True) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
        "class": "us_equity",
        "exchange": "NASDAQ",
        "symbol": symbol,
        "name": f"{symbol} Inc.",
        "status": "active",
        "tradable": tradable,
        "marginable": True,
        "shortable": True,
        "easy_to_borrow": True,
        "fractionable": True,
        "attributes": [],
    }


class RoutedHandler(BaseHTTPRequestHandler):
    """A quiet handler that sends GET, POST and DELETE to `_serve(method)`."""

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return

    def _serve(self, method: str) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) serving `handler`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeAlpaca(LoopbackServer):
    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.positions: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.assets = {s: asset_json(s) for s in ("AAPL", "MSFT", "SPY", "NVDA", "GOOG", "TSLA")}
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.requests: list[str] = []
        self.submitted: list[dict[str, Any]] = []
        """Bodies of every order submit that was processed."""
        self.data: Any = None
        """A `FakeAlpacaData` serving the market data routes (None: 404 there)."""
        self.account = {
            "id": ACCOUNT_ID,
            "account_number": "PA3TESTFAKE1",
            "status": "ACTIVE",
            "currency": "USD",
            "buying_power": "180000",
            "cash": "90000",
            "portfolio_value": "101000",
            "equity": "101000",
            "last_equity": "100000",
            "long_market_value": "11000",
            "short_market_value": "0",
            "multiplier": "2",
            "shorting_enabled": True,
            "trading_blocked": False,
            "account_blocked": False,
            "pattern_day_trader": False,
            "created_at": "2024-01-02T15:00:00Z",
        }
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def fail(self, route: str, *faults: Fault) -> None:
        self.faults[route].extend(faults)

    def add_order(self, order: dict[str, Any]) -> dict[str, Any]:
        self.orders[order["id"]] = order
        return order

    def count(self, route: str) -> int:
        return sum(1 for r in self.requests if r == route)

    # -- routing -------------------------------------------------------------------------

    def fill(self, order_id: str, price: str, at: str) -> dict[str, Any]:
        """Fill an open order completely at `price` (position and FILL activity added)."""
        with self._lock:
            order = self.orders[order_id]
            order.update(
                status="filled", filled_qty=order["qty"], filled_avg_price=price,
                filled_at=at, updated_at=at,
            )  # fmt: skip
            signed = float(order["qty"]) * (1 if order["side"] == "buy" else -1)
            self.positions.append(position_json(order["symbol"], str(signed), price, price))
            self.activities.append(fill_json(order, order["qty"], price, at))
            return order

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        with self._lock:
            if self.data is not None and path.startswith("/v2/stocks/"):
                answer = self.data.handle(path, query)
                if answer is not None:
                    return answer
            if method == "POST" and path == "/v2/orders":
                return self._submit(body)
            if path == "/v2/account":
                return 200, self.account
            if path == "/v2/positions":
                return 200, self.positions
            if path.startswith("/v2/positions/"):
                symbol = path.rsplit("/", 1)[1]
                found = [p for p in self.positions if p["symbol"] == symbol]
                if found:
                    return 200, found[0]
                return 404, {"code": 40410000, "message": "position does not exist"}
            if path == "/v2/account/activities/FILL":
                after = query.get("after", "")
                items = [a for a in self.activities if a["transaction_time"] > after[:19]]
                ids = [a["id"] for a in items]
                token = query.get("page_token")
                start = ids.index(token) + 1 if token in ids else 0
                return 200, items[start : start + int(query.get("page_size", 100))]
            if path == "/v2/orders:by_client_order_id":
                return self._by_cid(query["client_order_id"])
            if path == "/v2/orders":
                listed = self._list(query.get("status", "open"))
                wanted = query.get("symbols")
                return 200, [o for o in listed if not wanted or o["symbol"] in wanted.split(",")]
            match = re.fullmatch(r"/v2/orders/([\w-]+)", path)
            if match and method == "DELETE":
                return self._cancel(match.group(1))
            if match:
                order = self.orders.get(match.group(1))
                return (
                    (200, order)
                    if order
                    else (404, {"code": 40410000, "message": "order not found"})
                )
            match = re.fullmatch(r"/v2/assets/(\w+)", path)
            if match:
                asset = self.assets.get(match.group(1))
                return (
                    (200, asset)
                    if asset
                    else (404, {"code": 40410000, "message": "asset not found"})
                )
        return 404, {"code": 40400000, "message": f"no route {method} {path}"}

    def _submit(self, body: dict[str, Any]) -> tuple[int, Any]:
        self.submitted.append(body)
        cid = body["client_order_id"]
        if any(o["client_order_id"] == cid for o in self.orders.values()):
            return 422, {"code": 40010001, "message": "client_order_id must be unique"}
        order = order_json(
            body["symbol"],
            body["side"],
            str(body["qty"]),
            client_order_id=cid,
            type=body["type"],
            limit_price=body.get("limit_price"),
        )
        self.orders[order["id"]] = order
        return 200, order

    def _cancel(self, order_id: str) -> tuple[int, Any]:
        order = self.orders.get(order_id)
        if order is None:
            return 404, {"code": 40410000, "message": "order not found"}
        if order["status"] in ("filled", "canceled", "expired", "rejected"):
            return 422, {
                "code": 42210000,
                "message": f'order is already in "{order["status"]}" state',
            }
        order["status"] = "canceled"
        return 204, None

    def _by_cid(self, cid: str) -> tuple[int, Any]:
        for order in self.orders.values():
            if order["client_order_id"] == cid:
                return 200, order
        return 404, {"code": 40410000, "message": f"order not found for {cid}"}

    def _list(self, status: str) -> list[dict[str, Any]]:
        open_ = {"new", "accepted", "partially_filled", "pending_new", "held"}
        return [
            o
            for o in self.orders.values()
            if status == "all" or (o["status"] in open_) == (status == "open")
        ]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(RoutedHandler):
            def _serve(self, method: str) -> None:
                parsed = urlparse(self.path)
                route = f"{method} {parsed.path}"
                fake.requests.append(route)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fault = fake.faults[route].popleft() if fake.faults[route] else None
                if fault is not None and fault.status is not None:
                    payload = fault.body or {"code": fault.status * 100000, "message": "fault"}
                    self._reply(fault.status, payload, fault.headers)
                    return
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                status, payload = fake.handle(method, parsed.path, query, body)
                if fault is not None and fault.delay:
                    time.sleep(fault.delay)
                self._reply(status, payload)

            def _reply(
                self, status: int, payload: Any, headers: dict[str, str] | None = None
            ) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (timeout tests)

        return Handler
