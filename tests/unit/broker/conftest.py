"""Fixtures for the paper broker tests: a replay clock stepping one daily bar at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradepit.broker import PaperBroker, PaperConfig
from tradepit.clock import ReplayClock
from tradepit.domain.errors import UnknownSymbolError
from tradepit.domain.models import Asset, AssetClass, Bar, Fill
from tradepit.domain.ports import LedgerStore

T0 = datetime(2024, 1, 2, tzinfo=UTC)  # a Tuesday
DAY = timedelta(days=1)

ASSETS = {
    "AAA": Asset(symbol="AAA"),
    "BBB": Asset(symbol="BBB"),
    "NOSHORT": Asset(symbol="NOSHORT", shortable=False),
    "HALTED": Asset(symbol="HALTED", tradable=False),
    "IDX": Asset(symbol="IDX", asset_class=AssetClass.INDEX),
    "COIN/USD": Asset(
        symbol="COIN/USD", asset_class=AssetClass.CRYPTO, fractionable=True, calendar="24/7"
    ),
}


def lookup(symbol: str) -> Asset:
    try:
        return ASSETS[symbol]
    except KeyError:
        raise UnknownSymbolError(symbol, list(ASSETS)) from None


def D(value: object) -> Decimal:
    return Decimal(str(value))


class Sim:
    """A broker on a replay clock. `step` plays the next daily bar the way the event backtest
    does: clock to the bar's open, `on_bar`, clock to the bar's close (= next bar's open)."""

    def __init__(
        self,
        config: PaperConfig | None = None,
        store: LedgerStore | None = None,
        start: datetime = T0,
        account_id: str = "paper",
    ) -> None:
        self.clock = ReplayClock(start)
        self.next_ts = start
        self.broker = PaperBroker(self.clock, lookup, config, store, account_id)

    def bar(self, o, h, low, c, v=0, symbol="AAA", at: datetime | None = None) -> Bar:
        return Bar(
            symbol=symbol,
            timestamp=at or self.next_ts,
            open=D(o),
            high=D(h),
            low=D(low),
            close=D(c),
            volume=D(v),
        )

    def step(self, o, h=None, low=None, c=None, v=0, symbol="AAA", advance=True) -> list[Fill]:
        h = o if h is None else h
        low = o if low is None else low
        c = o if c is None else c
        bar = self.bar(o, h, low, c, v, symbol)
        self.clock.advance_to(bar.timestamp)
        fills = self.broker.on_bar(bar)
        if advance:
            self.close_bar()
        return fills

    def close_bar(self) -> None:
        self.next_ts += DAY
        self.clock.advance_to(self.next_ts)

    def skip_days(self, days: int) -> None:
        self.next_ts += days * DAY
        self.clock.advance_to(self.next_ts)


@pytest.fixture
def make_sim() -> Callable[..., Sim]:
    def build(store: LedgerStore | None = None, account_id: str = "paper", **config) -> Sim:
        cfg = PaperConfig(**{"max_volume_share": None, **config})
        return Sim(cfg, store, account_id=account_id)

    return build


@pytest.fixture
def sim(make_sim) -> Sim:
    """No costs, no volume cap; AAA marked at 100 on day 0."""
    s = make_sim()
    s.step(100)
    return s
