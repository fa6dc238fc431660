"""Live bars, quotes and trades from Alpaca's market data websocket, through alpaca-py's
stream clients (`StockDataStream`, `CryptoDataStream`), with a visible connection status.

alpaca-py reconnects by itself and resubscribes every handler on each new connection; this
wrapper supplies the backoff (exponential with jitter, our `Backoff`), records the status
(`ConnectionStatus`, counters, last error, the last subscription sent), stops for good on
an authentication failure (retrying cannot fix wrong keys), runs the stream in a
background thread, and hands domain `Bar` / `Quote` / `LastTrade` values to the handlers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from alpaca.data.enums import DataFeed
from alpaca.data.live import CryptoDataStream, StockDataStream
from alpaca.data.models import Bar as AlpacaBar
from alpaca.data.models import Quote as AlpacaQuote
from alpaca.data.models import Trade as AlpacaTrade

from tradepit.broker.resilience import Backoff
from tradepit.config import AlpacaSettings
from tradepit.domain.errors import ConfigError
from tradepit.domain.models import Bar, Quote, exact_decimal
from tradepit.market.alpaca import LastTrade, to_bar

log = logging.getLogger(__name__)


class ConnectionStatus(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    """Stopped for good (e.g. authentication failed); see `last_error`."""
    STOPPED = "stopped"


@dataclass(frozen=True)
class StreamState:
    status: ConnectionStatus = ConnectionStatus.IDLE
    connections: int = 0
    """Successful connections (authenticated) so far."""
    reconnects: int = 0
    last_error: str | None = None
    subscription: dict[str, tuple[str, ...]] | None = None
    """Channels and symbols of the last subscribe message sent."""


StatusListener = Callable[[StreamState], None]


class _Observed:
    """Mixin over an alpaca-py DataStream that reports to an `AlpacaStream`."""

    owner: AlpacaStream

    async def _start_ws(self) -> None:
        self.owner._set(
            ConnectionStatus.RECONNECTING
            if self.owner.state.connections
            else ConnectionStatus.CONNECTING
        )
        try:
            await super()._start_ws()  # type: ignore[misc]
        except ValueError as e:
            if "auth" in str(e).lower():
                self.owner._fail(f"authentication failed: {e}")
                self._should_run = False
                if self._stop_stream_event is not None:
                    self._stop_stream_event.set()
            raise
        self.owner._connected()

    async def _send_subscribe_msg(self) -> None:
        channels = {
            k: tuple(v)
            for k, v in self._handlers.items()
            if v and k not in ("cancelErrors", "corrections")
        }
        await super()._send_subscribe_msg()  # type: ignore[misc]
        self.owner._update(subscription=channels)

    async def close(self) -> None:
        await super().close()  # type: ignore[misc]
        if self._should_run:
            self.owner._lost()

    def _reconnect_delay(self, retries: int) -> float:
        return self.owner.backoff.delay(retries, self.owner._rng)


class _Stocks(_Observed, StockDataStream):
    pass


class _Crypto(_Observed, CryptoDataStream):
    pass


class AlpacaStream:
    """A market data stream in a background thread (see the module docstring).

    Subscribe before or after `start()`; handlers are plain callables called on the stream's
    thread. `state` (and `on_status`) show the connection status.
    """

    def __init__(
        self,
        settings: AlpacaSettings,
        *,
        crypto: bool = False,
        feed: str = "iex",
        url: str | None = None,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        on_status: StatusListener | None = None,
    ) -> None:
        key, secret = settings.api_key.get_secret_value(), settings.secret_key.get_secret_value()
        if not key or not secret:
            raise ConfigError("the Alpaca stream needs ALPACA_API_KEY and ALPACA_SECRET_KEY")
        self.backoff = backoff or Backoff(base=1.0, cap=30.0)
        self._rng = rng or random.Random()
        self._listener = on_status
        self._state = StreamState()
        self._lock = threading.Lock()
        self._last_price: dict[str, Decimal] = {}
        if crypto:
            self._inner: Any = _Crypto(key, secret, url_override=url)
        else:
            self._inner = _Stocks(key, secret, feed=DataFeed(feed), url_override=url)
        self._inner.owner = self
        self._thread: threading.Thread | None = None

    # -- status ----------------------------------------------------------------------------

    @property
    def state(self) -> StreamState:
        with self._lock:
            return self._state

    @property
    def status(self) -> ConnectionStatus:
        return self.state.status

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)
            state = self._state
        if "status" in changes:
            log.info("alpaca stream %s", state.status.value, extra={"reconnects": state.reconnects})
        if self._listener is not None:
            self._listener(state)

    def _set(self, status: ConnectionStatus) -> None:
        if self.state.status is not status:
            self._update(status=status)

    def _connected(self) -> None:
        state = self.state
        reconnects = state.reconnects + (1 if state.connections else 0)
        self._update(
            status=ConnectionStatus.CONNECTED,
            connections=state.connections + 1,
            reconnects=reconnects,
        )

    def _lost(self) -> None:
        if self.state.status is not ConnectionStatus.FAILED:
            log.warning("alpaca stream connection lost; reconnecting")
            self._set(ConnectionStatus.RECONNECTING)

    def _fail(self, reason: str) -> None:
        log.error("alpaca stream failed: %s", reason)
        self._update(status=ConnectionStatus.FAILED, last_error=reason)

    # -- subscriptions -------------------------------------------------------------------

    def subscribe_bars(self, handler: Callable[[Bar], None], *symbols: str) -> None:
        async def on_bar(bar: AlpacaBar) -> None:
            handler(to_bar(bar))

        self._inner.subscribe_bars(on_bar, *symbols)

    def subscribe_trades(self, handler: Callable[[LastTrade], None], *symbols: str) -> None:
        async def on_trade(trade: AlpacaTrade) -> None:
            price = exact_decimal(trade.price)
            self._last_price[trade.symbol] = price
            size = exact_decimal(trade.size)
            handler(
                LastTrade(symbol=trade.symbol, timestamp=trade.timestamp, price=price, size=size)
            )

        self._inner.subscribe_trades(on_trade, *symbols)

    def subscribe_quotes(self, handler: Callable[[Quote], None], *symbols: str) -> None:
        """Quotes carry the last traded price seen on this stream as `last` (the mid price
        until a trade of that symbol arrives)."""

        async def on_quote(quote: AlpacaQuote) -> None:
            bid, ask = exact_decimal(quote.bid_price), exact_decimal(quote.ask_price)
            last = self._last_price.get(quote.symbol, (bid + ask) / 2)
            handler(
                Quote(
                    symbol=quote.symbol,
                    timestamp=quote.timestamp,
                    bid=bid,
                    ask=ask,
                    last=last,
                    bid_size=exact_decimal(quote.bid_size),
                    ask_size=exact_decimal(quote.ask_size),
                )
            )

        self._inner.subscribe_quotes(on_quote, *symbols)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Run the stream in a daemon thread (it connects once something is subscribed)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="alpaca-stream", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            asyncio.run(self._inner._run_forever())
        except Exception as e:  # the thread must not die silently
            self._fail(f"stream crashed: {e!r}")
            raise
        if self.state.status is not ConnectionStatus.FAILED:
            self._set(ConnectionStatus.STOPPED)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the stream and wait for its thread (at most `timeout` seconds)."""
        loop = self._inner._loop
        if self._thread is None:
            self._set(ConnectionStatus.STOPPED)
            return
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self._inner.stop_ws(), loop).result(timeout)
            if self._inner._ws is not None:  # wake the receive loop now, not in 5 s
                asyncio.run_coroutine_threadsafe(self._inner._ws.close(), loop).result(timeout)
        self._thread.join(timeout)
        if self.state.status is not ConnectionStatus.FAILED:
            self._set(ConnectionStatus.STOPPED)

    def wait_for(self, status: ConnectionStatus, timeout: float, step: float = 0.01) -> bool:
        """Block until the status is `status` (True) or about `timeout` s pass (False)."""
        pause = threading.Event()
        for _ in range(max(1, int(timeout / step))):
            if self.status is status:
                return True
            pause.wait(step)
        return self.status is status
