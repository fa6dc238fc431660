"""The market data half of the fake Alpaca server: stock bars (1Min, 1Day, paginated),
latest quotes, trades and bars, in Alpaca's data API JSON (v2/stocks/...).

The tape is test data: the daily bars are the bundled MSFT history re-dated onto the
XNYS sessions before the test day (real price paths, so indicators behave as on real
data), the minute bars of the test day a seeded walk from the last close. Nothing here is
reachable outside the tests. Everything "latest" is as of `now()` (the test's clock).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from tradepit.agent.schedule import _sessions
from tradepit.market.bundled import load_bundled

PAGE = 1000


def _iso(when: pd.Timestamp | datetime) -> str:
    return pd.Timestamp(when).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _bar(when: pd.Timestamp, o: float, h: float, lo: float, c: float, v: float) -> dict:
    return {"t": _iso(when), "o": o, "h": h, "l": lo, "c": c, "v": v, "n": 100, "vw": c}


def _midnight_et(when: pd.Timestamp) -> pd.Timestamp:
    """Alpaca stamps daily bars at midnight New York time."""
    return when.tz_convert("America/New_York").normalize().tz_convert("UTC")


class FakeAlpacaData:
    """Bars and latest prices of `symbols` for the session of `day` (a date)."""

    def __init__(
        self, now: Callable[[], datetime], day: str, symbols: tuple[str, ...] = ("MSFT",)
    ) -> None:
        self.now = now
        self.daily: dict[str, list[dict[str, Any]]] = {}
        self.minute: dict[str, list[dict[str, Any]]] = {}
        session = pd.Timestamp(day)
        days = _sessions("XNYS", session - pd.Timedelta(days=500), session)
        opens = [o for o, _ in days]
        history = load_bundled("MSFT").iloc[-(len(opens) - 1) :]
        for i, symbol in enumerate(symbols):
            scale = 1.0 + 0.5 * i
            rows = [
                _bar(
                    _midnight_et(opens[k]),
                    r.open * scale,
                    r.high * scale,
                    r.low * scale,
                    r.close * scale,
                    r.volume,
                )
                for k, r in enumerate(history.itertuples())
            ]
            self.daily[symbol] = rows
            self.minute[symbol] = self._walk(opens[-1], days[-1][1], rows[-1]["c"], seed=i)

    @staticmethod
    def _walk(start: pd.Timestamp, end: pd.Timestamp, price: float, seed: int) -> list[dict]:
        rng, out, when = random.Random(seed), [], start
        while when < end:
            o = price
            c = round(o * (1 + rng.gauss(0, 0.0008)), 2)
            hi, lo = round(max(o, c) * 1.0004, 2), round(min(o, c) * 0.9996, 2)
            out.append(_bar(when, o, hi, lo, c, 20_000.0))
            price, when = c, when + pd.Timedelta(minutes=1)
        return out

    # -- routes ------------------------------------------------------------------------

    def handle(self, path: str, query: dict[str, str]) -> tuple[int, Any] | None:
        symbols = [s for s in query.get("symbols", "").split(",") if s]
        if path == "/v2/stocks/bars":
            return 200, self._bars(symbols, query)
        if path == "/v2/stocks/bars/latest":
            return 200, {"bars": {s: self._last(s) for s in symbols if self._last(s)}}
        if path == "/v2/stocks/quotes/latest":
            return 200, {"quotes": {s: self._quote(s) for s in symbols if self._last(s)}}
        if path == "/v2/stocks/trades/latest":
            return 200, {"trades": {s: self._trade(s) for s in symbols if self._last(s)}}
        return None

    def _bars(self, symbols: list[str], query: dict[str, str]) -> dict[str, Any]:
        table = self.minute if query.get("timeframe") == "1Min" else self.daily
        lo = query.get("start", "0000")[:19]
        hi = min(query.get("end", "9999")[:19], _iso(self.now())[:19])
        rows = [(s, b) for s in symbols for b in table.get(s, []) if lo <= b["t"][:19] <= hi]
        offset = int(query.get("page_token") or 0)
        page = rows[offset : offset + PAGE]
        out: dict[str, list[dict]] = {}
        for symbol, bar in page:
            out.setdefault(symbol, []).append(bar)
        more = offset + PAGE < len(rows)
        return {"bars": out, "next_page_token": str(offset + PAGE) if more else None}

    def _last(self, symbol: str) -> dict[str, Any] | None:
        """The last minute bar complete at `now` (else the last daily bar)."""
        cutoff = _iso(self.now() - timedelta(minutes=1))
        done = [b for b in self.minute.get(symbol, []) if b["t"] <= cutoff]
        if done:
            return done[-1]
        daily = self.daily.get(symbol)
        return daily[-1] if daily else None

    def _quote(self, symbol: str) -> dict[str, Any]:
        bar = self._last(symbol) or {}
        price, t = bar["c"], _iso(self.now())
        return {
            "ap": round(price + 0.01, 2), "as": 2, "ax": "V", "bp": round(price - 0.01, 2),
            "bs": 3, "bx": "V", "c": ["R"], "t": t, "z": "C",
        }  # fmt: skip

    def _trade(self, symbol: str) -> dict[str, Any]:
        bar = self._last(symbol) or {}
        t = _iso(self.now())
        return {"c": ["@"], "i": 1, "p": bar["c"], "s": 100, "t": t, "x": "V", "z": "C"}
