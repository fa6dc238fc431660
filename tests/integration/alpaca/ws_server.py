"""A local websocket server on 127.0.0.1 speaking Alpaca's market data stream protocol:
welcome, auth, subscribe, data, and (first connection only) a forced disconnect.

Messages are arrays of objects with a "T" type, encoded as MessagePack when the client
asks for it (Content-Type: application/msgpack, as alpaca-py does) and JSON otherwise;
timestamps are MessagePack timestamps in the former and RFC 3339 strings in the latter.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack
from websockets.asyncio.server import ServerConnection, serve

T0 = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


class FakeStreamServer:
    def __init__(self, key: str = "test-key", secret: str = "test-secret") -> None:
        self.key, self.secret = key, secret
        self.connections = 0
        self.auths: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v2/iex"

    def start(self) -> FakeStreamServer:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("stream server did not start")
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def _run(self) -> None:
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._session, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _session(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        packed = ws.request is not None and ws.request.headers.get("Content-Type") == (
            "application/msgpack"
        )

        async def send(messages: list[dict[str, Any]]) -> None:
            await ws.send(msgpack.packb(messages) if packed else json.dumps(messages, default=str))

        def decode(frame: str | bytes) -> dict[str, Any]:
            return msgpack.unpackb(frame) if isinstance(frame, bytes) else json.loads(frame)

        await send([{"T": "success", "msg": "connected"}])
        auth = decode(await ws.recv())
        self.auths.append(auth)
        if auth.get("key") != self.key or auth.get("secret") != self.secret:
            await send([{"T": "error", "code": 402, "msg": "auth failed"}])
            await ws.close()
            return
        await send([{"T": "success", "msg": "authenticated"}])
        request = decode(await ws.recv())
        self.subscriptions.append(request)
        trades = request.get("trades", [])
        await send(
            [
                {
                    "T": "subscription",
                    "trades": trades,
                    "quotes": request.get("quotes", []),
                    "bars": request.get("bars", []),
                    "updatedBars": [],
                    "dailyBars": [],
                    "statuses": [],
                    "lulds": [],
                    "corrections": trades,
                    "cancelErrors": trades,
                }
            ]
        )
        stamp = T0 + timedelta(minutes=number)
        when: Any = msgpack.Timestamp.from_datetime(stamp) if packed else stamp.isoformat()
        for symbol in request.get("quotes", []):
            await send(
                [
                    {
                        "T": "q",
                        "S": symbol,
                        "bx": "V",
                        "bp": 180.1,
                        "bs": 3,
                        "ax": "V",
                        "ap": 180.3,
                        "as": 5,
                        "c": ["R"],
                        "z": "C",
                        "t": when,
                    }
                ]
            )
        for symbol in request.get("bars", []):
            await send(
                [
                    {
                        "T": "b",
                        "S": symbol,
                        "o": 180.0 + number,
                        "h": 181.5 + number,
                        "l": 179.5 + number,
                        "c": 181.0 + number,
                        "v": 1200 * number,
                        "n": 40,
                        "vw": 180.7,
                        "t": when,
                    }
                ]
            )
        if number == 1:
            ws.transport.abort()  # forced disconnect, no close frame
            return
        await ws.wait_closed()
