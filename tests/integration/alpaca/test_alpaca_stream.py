"""The market data stream against a local Alpaca-protocol websocket server: auth, subscribe,
data, a forced disconnect, reconnection with backoff and resubscription."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from tests.integration.alpaca.ws_server import T0, FakeStreamServer

from tradepit.broker.resilience import Backoff
from tradepit.config import AlpacaSettings
from tradepit.domain.models import Bar, Quote
from tradepit.market.alpaca_stream import AlpacaStream, ConnectionStatus, StreamState


@pytest.fixture
def server() -> Iterator[FakeStreamServer]:
    running = FakeStreamServer().start()
    yield running
    running.stop()


def make_stream(server: FakeStreamServer, secret: str = "test-secret", states=None) -> AlpacaStream:
    settings = AlpacaSettings(api_key="test-key", secret_key=secret)
    return AlpacaStream(
        settings,
        url=server.url,
        backoff=Backoff(base=0.05, cap=0.2),
        rng=random.Random(3),
        on_status=states.append if states is not None else None,
    )


def test_reconnects_resubscribes_and_reports_status(server):
    states: list[StreamState] = []
    bars: list[Bar] = []
    quotes: list[Quote] = []
    two_bars = threading.Event()

    def on_bar(bar: Bar) -> None:
        bars.append(bar)
        if len(bars) == 2:
            two_bars.set()

    stream = make_stream(server, states=states)
    stream.subscribe_bars(on_bar, "AAPL")
    stream.subscribe_quotes(quotes.append, "AAPL")
    stream.start()
    try:
        assert two_bars.wait(5), f"bars: {bars}, status {stream.state}"
        assert stream.wait_for(ConnectionStatus.CONNECTED, 2)
    finally:
        stream.stop()

    assert server.connections == 2
    expected = {"action": "subscribe", "bars": ["AAPL"], "quotes": ["AAPL"]}
    assert server.subscriptions == [expected, expected]  # resubscribed after the drop
    assert server.auths == [{"action": "auth", "key": "test-key", "secret": "test-secret"}] * 2
    assert [b.close for b in bars] == [Decimal("182.0"), Decimal("183.0")]
    assert bars[0].timestamp.replace(microsecond=0) == T0.replace(minute=31)
    assert quotes[0].bid == Decimal("180.1") and quotes[0].last == Decimal("180.2")

    seen = [s.status for s in states]
    order = [
        ConnectionStatus.CONNECTING,
        ConnectionStatus.CONNECTED,
        ConnectionStatus.RECONNECTING,
        ConnectionStatus.CONNECTED,
        ConnectionStatus.STOPPED,
    ]
    positions = [
        seen.index(s, seen.index(order[i - 1]) + 1 if i else 0) for i, s in enumerate(order)
    ]
    assert positions == sorted(positions)
    final = stream.state
    assert (final.connections, final.reconnects) == (2, 1)
    assert final.subscription == {"bars": ("AAPL",), "quotes": ("AAPL",)}


def test_wrong_keys_fail_once_without_a_retry_storm(server):
    stream = make_stream(server, secret="wrong")
    stream.subscribe_bars(lambda bar: None, "AAPL")
    stream.start()
    try:
        assert stream.wait_for(ConnectionStatus.FAILED, 5)
    finally:
        stream.stop()
    assert server.connections == 1
    assert "auth" in (stream.state.last_error or "")
    assert stream.status is ConnectionStatus.FAILED
