"""The market of a battle: one source of bars (bundled real data and users' files), one
replay clock, one point-in-time feed shared by every competitor, and the tick schedule.

`TickFeed` wraps the `PointInTimeFeed` with a cache that lives for one tick: competitors
asking for the same bars at the same moment get the same (read-only) frame instead of a
new slice each. The cache is cleared by the runner when the clock moves (`begin_tick`).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from tradepit.agent.loop import ticks as calendar_ticks
from tradepit.battle.blind import Blinding
from tradepit.clock import ReplayClock
from tradepit.domain.errors import ConfigError, MalformedDataError
from tradepit.domain.models import Asset, Bar, Quote
from tradepit.domain.ports import Clock, MarketData
from tradepit.market import HistoricalSource, PointInTimeFeed, load_ohlcv
from tradepit.market.timeframe import CRYPTO_CALENDAR, parse_timeframe

DAY = pd.Timedelta(days=1)


def load_frames(
    symbols: Sequence[str], files: Mapping[str, str]
) -> tuple[dict[str, pd.DataFrame], dict[str, Asset]]:
    """Frames and assets of `symbols`: users' files where given, else the bundled data.
    Frame attrs are dropped (pandas deep-copies attrs on every slice)."""
    bundled = [s for s in symbols if s not in files]
    source = HistoricalSource.bundled(bundled) if bundled else None
    loaded = {s: load_ohlcv(files[s]) for s in symbols if s in files}
    for symbol, frame in loaded.items():
        if len(frame) < 2:
            raise MalformedDataError(
                f"only 1 bar for {symbol} in {files[symbol]}; at least 2 bars are needed"
            )
    user = HistoricalSource.from_frames(loaded)
    frames, assets = {}, {}
    for symbol in symbols:
        origin = user if symbol in files else source
        frame = origin.frame(symbol).copy()  # type: ignore[union-attr]
        frame.attrs = {}
        frames[symbol], assets[symbol] = frame, origin.asset(symbol)  # type: ignore[union-attr]
    return frames, assets


def default_window(frames: Mapping[str, pd.DataFrame], timeframe: str) -> tuple[datetime, datetime]:
    """The last year of data common to every symbol."""
    end = min(pd.Timestamp(f.index[-1]) for f in frames.values()) + parse_timeframe(timeframe)
    return (end - pd.Timedelta(days=365)).to_pydatetime(), end.to_pydatetime()


def schedule(start: datetime, end: datetime, cadence: str, calendar: str) -> list[pd.Timestamp]:
    """Tick times in [start, end]: exchange sessions (XNYS...) or round the clock (24/7)."""
    interval = parse_timeframe(cadence)
    if calendar == CRYPTO_CALENDAR:
        first = pd.Timestamp(start).ceil(interval)
        return list(pd.date_range(first, pd.Timestamp(end), freq=interval))
    return list(calendar_ticks(start, end, interval, calendar))


def split(times: Sequence[pd.Timestamp], parts: int) -> list[list[pd.Timestamp]]:
    """`times` in `parts` consecutive chunks of (nearly) equal length."""
    if parts > len(times) // 2:
        raise ConfigError(f"{len(times)} ticks cannot make {parts} windows of 2+ ticks")
    bounds = np.linspace(0, len(times), parts + 1).round().astype(int)
    return [list(times[a:b]) for a, b in itertools.pairwise(bounds)]


STALE_AFTER = pd.Timedelta(days=4)
"""How long after a symbol's last bar a tick may still come (weekends, holidays)."""


def check_coverage(
    frames: Mapping[str, pd.DataFrame],
    first: pd.Timestamp,
    timeframe: str,
    last: pd.Timestamp,
) -> None:
    """Every symbol must have a completed bar at the first tick and data up to the last
    tick: a battle past the end of a symbol's data would trade on its last price for days
    or years (or have no bars at all) instead of failing."""
    duration = parse_timeframe(timeframe)
    for symbol, frame in frames.items():
        if pd.Timestamp(frame.index[0]) + duration > first:
            raise ConfigError(
                f"{symbol} data starts {frame.index[0].date()}, after the battle start "
                f"{first.date()}; pick a later --start"
            )
        if pd.Timestamp(frame.index[-1]) + duration + STALE_AFTER < last:
            raise ConfigError(
                f"{symbol} data ends {frame.index[-1].date()}, before the battle end "
                f"{last.date()}; pick an earlier --end (data common to all symbols: "
                f"{common_range(frames)})"
            )


def common_range(frames: Mapping[str, pd.DataFrame]) -> str:
    """The dates every symbol has data for, as ``first..last``."""
    first = max(pd.Timestamp(f.index[0]) for f in frames.values())
    last = min(pd.Timestamp(f.index[-1]) for f in frames.values())
    return f"{first.date()}..{last.date()}"


class TickFeed:
    """`MarketData` over a point-in-time feed (`PointInTimeFeed` in replays, the live data
    in a live battle) with a per-tick cache (see the module doc); `timeframe` is the bars'
    the paper accounts fill against."""

    def __init__(self, feed: MarketData, clock: Clock, timeframe: str) -> None:
        self.feed = feed
        self.clock = clock
        self.timeframe = timeframe
        self._cache: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def begin_tick(self) -> None:
        with self._lock:
            self._cache = {}

    def _cached(self, key: tuple, make: Any) -> Any:
        value = self._cache.get(key)
        if value is None:
            value = make()
            with self._lock:
                self._cache.setdefault(key, value)
        return value

    def symbols(self) -> list[str]:
        return self.feed.symbols()

    def get_asset(self, symbol: str) -> Asset:
        return self.feed.get_asset(symbol)

    def get_bars(
        self,
        symbol: str,
        timeframe: str = "1Day",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        key = ("bars", symbol, timeframe, start, end)
        return self._cached(key, lambda: self.feed.get_bars(symbol, timeframe, start, end))

    def latest_bar(self, symbol: str) -> Bar:
        return self._cached(("bar", symbol), lambda: self.feed.latest_bar(symbol))

    def latest_quote(self, symbol: str) -> Quote:
        return self._cached(("quote", symbol), lambda: self.feed.latest_quote(symbol))


@dataclass
class Market:
    """One sample's market world (blinded when `blinding` is set)."""

    clock: ReplayClock
    feed: TickFeed
    symbols: tuple[str, ...]
    """What the models see (aliases in a blind sample), in the battle's order."""
    real: dict[str, str]
    """Model-facing symbol -> real symbol."""
    timeframe: str
    ticks: list[pd.Timestamp]
    """Tick times in the model-facing time."""
    blinding: Blinding | None = None


def build_market(
    frames: Mapping[str, pd.DataFrame],
    assets: Mapping[str, Asset],
    times: Sequence[pd.Timestamp],
    timeframe: str,
    blinding: Blinding | None = None,
) -> Market:
    """The market of one sample over `times` (real times), blinded when `blinding` is set.
    The data must cover `times` (`check_coverage`: the runner checks the whole schedule
    once, before the battle is recorded)."""
    if blinding is None:
        source = HistoricalSource(frames, assets)
        symbols = tuple(frames)
        real = {s: s for s in symbols}
        blinding, ticks = None, list(times)
    else:
        source = HistoricalSource(
            {blinding.aliases[s]: blinding.frame(s, f) for s, f in frames.items()},
            {blinding.aliases[s]: blinding.asset(a) for s, a in assets.items()},
        )
        symbols = tuple(blinding.aliases[s] for s in frames)
        real = blinding.real
        ticks = [blinding.time(t) for t in times]
    clock = ReplayClock(pd.Timestamp(ticks[0]).to_pydatetime())
    feed = TickFeed(PointInTimeFeed(source, clock, timeframe), clock, timeframe)
    return Market(clock, feed, symbols, real, timeframe, ticks, blinding)
