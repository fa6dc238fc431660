"""Fills between two cycles of the loop, by kind of broker.

The paper broker fills orders against bars: `BarFills` hands it the bars completed since
the previous tick (daily bars in a replay over the bundled data, minute bars on a live
feed), in time order, and returns the fills they caused. A real broker fills on its own:
`BrokerFills` asks it for the fills since the previous tick.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from tradepit.domain.errors import NoDataError
from tradepit.domain.models import Bar, Fill
from tradepit.market import PointInTimeFeed
from tradepit.market.arrays import frame_bars

if TYPE_CHECKING:
    from tradepit.broker import PaperBroker
    from tradepit.domain.ports import Broker, MarketData

log = logging.getLogger(__name__)


class FillSource(Protocol):
    def deliver(self, previous: pd.Timestamp | None) -> list[Fill]:
        """Fills since the tick `previous` (none before the first tick)."""
        ...


class BarFills:
    """Completed `timeframe` bars since the previous tick go to the paper broker."""

    def __init__(
        self,
        market: MarketData,
        broker: PaperBroker,
        symbols: Sequence[str],
        timeframe: str = "1Day",
    ) -> None:
        from tradepit.market.timeframe import parse_timeframe

        self.market, self.broker, self.symbols = market, broker, tuple(symbols)
        self.timeframe = timeframe
        self.duration = parse_timeframe(timeframe)

    def deliver(self, previous: pd.Timestamp | None) -> list[Fill]:
        if previous is None:
            return []
        bars: list[Bar] = []
        for symbol in self.symbols:
            try:
                frame = self._since(symbol, previous)
            except NoDataError:
                continue
            bars.extend(frame_bars(symbol, frame))
        fills: list[Fill] = []
        for bar in sorted(bars, key=lambda b: (b.timestamp, b.symbol)):
            fills.extend(self.broker.on_bar(bar))
        return fills

    def _since(self, symbol: str, previous: pd.Timestamp) -> pd.DataFrame:
        """The bars of `symbol` completed after `previous`: the point-in-time feed knows when
        each bar completed (a daily bar at its session's close); a live feed's bars
        complete at open + duration."""
        if isinstance(self.market, PointInTimeFeed):
            return self.market.completed_after(symbol, self.timeframe, previous.to_pydatetime())
        start = (previous - self.duration + pd.Timedelta(1, "us")).to_pydatetime()
        return self.market.get_bars(symbol, self.timeframe, start=start)


class BrokerFills:
    """A broker that fills by itself (Alpaca): its fills since the previous tick."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def deliver(self, previous: pd.Timestamp | None) -> list[Fill]:
        if previous is None:
            return []
        since = previous.to_pydatetime()
        return [f for f in self.broker.get_fills(since) if f.timestamp > since]
