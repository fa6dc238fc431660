"""Point-in-time market data: a `HistoricalSource` of frames, read through a Clock.

`PointInTimeFeed` implements `tradepit.domain.ports.MarketData` and only ever returns
COMPLETED bars: a bar with open time t and duration d is visible once t + d <= clock.now(),
except the source's own daily bars of an exchange-traded asset, which are complete at their
session's close (`sessions.bar_end`): a cycle at the close sees that day's bar.
Coarser timeframes are resampled from the source's base bars (cached per symbol and
timeframe). Quotes are derived from the last completed bar (bid = ask = last = close,
stamped when the bar completed): there is no order book in historical data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from tradepit.domain.errors import MalformedDataError, NoDataError, UnknownSymbolError
from tradepit.domain.models import Asset, Bar, Quote, exact_decimal
from tradepit.domain.ports import Clock
from tradepit.market import bundled
from tradepit.market.loaders import OHLCV, load_ohlcv, normalise_ohlcv
from tradepit.market.resample import resample
from tradepit.market.sessions import bar_end, complete_count
from tradepit.market.synthetic import PREFIX, is_synthetic, synthetic_asset
from tradepit.market.timeframe import canonical_timeframe, min_spacing, parse_timeframe
from tradepit.market.user_assets import user_asset

log = logging.getLogger(__name__)


class HistoricalSource:
    """Bars per symbol (standard OHLCV frames) and their assets. Frames are read-only."""

    def __init__(self, frames: Mapping[str, pd.DataFrame], assets: Mapping[str, Asset]) -> None:
        missing = sorted(set(frames) - set(assets))
        if missing:
            raise ValueError(f"no asset for {', '.join(missing)}")
        self._frames = dict(frames)
        self._assets = {s: assets[s] for s in frames}

    @classmethod
    def bundled(cls, symbols: Iterable[str] | None = None) -> HistoricalSource:
        """The bundled OHLCV series (all of them by default). Close-only symbols are refused."""
        wanted = bundled.bundled_symbols(ohlcv_only=True) if symbols is None else list(symbols)
        frames, assets = {}, {}
        for symbol in wanted:
            info = next((s for s in bundled.list_bundled() if s.symbol == symbol.upper()), None)
            if info is not None and info.close_only:
                ohlcv = ", ".join(bundled.bundled_symbols(ohlcv_only=True))
                raise MalformedDataError(
                    f"{info.symbol} is close-only ({info.source}): this needs bars with open, "
                    f"high and low; bundled bars: {ohlcv}"
                )
            frame = bundled.load_bundled(symbol)
            asset = bundled.bundled_asset(symbol)
            frames[asset.symbol], assets[asset.symbol] = frame, asset
        return cls(frames, assets)

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, pd.DataFrame],
        assets: Mapping[str, Asset] | Iterable[Asset] | None = None,
    ) -> HistoricalSource:
        """Users' frames (any spelling `normalise_ohlcv` accepts). Assets default to the
        frame's ``attrs["calendar"]``, else `user_asset`'s guess (24/7 crypto for a pair or
        Sunday sessions, else an XNYS equity); synthetic frames must use "SYN-" symbols."""
        given = _asset_map(assets)
        out_frames, out_assets = {}, {}
        for symbol, raw in frames.items():
            synthetic = is_synthetic(raw)
            if synthetic and not symbol.startswith(PREFIX):
                raise ValueError(f"synthetic data must use a {PREFIX} symbol, got {symbol!r}")
            frame = normalise_ohlcv(raw, source=symbol)
            frame.attrs.update({k: v for k, v in raw.attrs.items() if k not in frame.attrs})
            calendar = raw.attrs.get("calendar")
            if synthetic:
                default = synthetic_asset(symbol, str(calendar or "XNYS"))
            else:
                default = user_asset(symbol, frame, calendar)
            out_frames[symbol] = frame
            out_assets[symbol] = given.get(symbol) or default
        return cls(out_frames, out_assets)

    @classmethod
    def from_files(
        cls, paths: Mapping[str, str | Path], assets: Mapping[str, Asset] | None = None
    ) -> HistoricalSource:
        """CSV/parquet files per symbol; files are parsed once per (path, mtime, size)."""
        frames = {
            symbol: _load_cached(str(Path(p).resolve()), *_stamp(p)) for symbol, p in paths.items()
        }
        return cls.from_frames(frames, assets)

    def symbols(self) -> list[str]:
        return sorted(self._frames)

    def frame(self, symbol: str) -> pd.DataFrame:
        try:
            return self._frames[symbol]
        except KeyError:
            raise UnknownSymbolError(symbol, self.symbols()) from None

    def asset(self, symbol: str) -> Asset:
        try:
            return self._assets[symbol]
        except KeyError:
            raise UnknownSymbolError(symbol, self.symbols()) from None


def _asset_map(assets: Mapping[str, Asset] | Iterable[Asset] | None) -> dict[str, Asset]:
    if assets is None:
        return {}
    if isinstance(assets, Mapping):
        return dict(assets)
    return {a.symbol: a for a in assets}


def _stamp(path: str | Path) -> tuple[int, int]:
    try:
        stat = Path(path).stat()
    except OSError as e:
        raise MalformedDataError(f"cannot read {path}: {e.strerror}") from e
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    log.debug("loading %s (%d bytes, mtime %d)", path, size, mtime_ns)
    return load_ohlcv(path)


@dataclass(frozen=True)
class _Series:
    """A frame at one timeframe with the arrays the hot path needs. The frame is a shallow
    copy without `attrs`: pandas deep-copies attrs into every slice and column taken from a
    frame, and the feed slices on every request (the source keeps the metadata)."""

    frame: pd.DataFrame
    opens: np.ndarray  # int64 ns since epoch
    values: np.ndarray  # float64 (rows, 5): open, high, low, close, volume
    duration: int  # ns
    calendar: str | None
    """The session rule's calendar (None or 24/7: complete at open + duration)."""

    @classmethod
    def of(cls, frame: pd.DataFrame, duration: pd.Timedelta, calendar: str | None) -> _Series:
        opens = frame.index.as_unit("ns").asi8
        values = frame[list(OHLCV)].to_numpy(dtype="float64")
        bare = frame.copy(deep=False)  # shares the data (copy-on-write)
        bare.attrs = {}
        return cls(bare, opens, values, int(duration.value), calendar)

    def complete_at(self, when_ns: int) -> int:
        """How many bars are complete at `when_ns`."""
        return complete_count(self.opens, when_ns, self.calendar, self.duration)

    def end(self, index: int) -> int:
        """When bar `index` completed (ns)."""
        return bar_end(self.calendar, int(self.opens[index]), self.duration)


def _ns(when: datetime, name: str) -> int:
    if when.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {when}")
    return pd.Timestamp(when).value


class PointInTimeFeed:
    """MarketData bounded by a Clock: only bars complete at `clock.now()` are visible.

    `timeframe` is the duration of the source's bars. Requests for coarser timeframes are
    resampled (bars labelled by open time); finer ones raise ValueError.
    """

    def __init__(self, source: HistoricalSource, clock: Clock, timeframe: str = "1Day") -> None:
        self.source = source
        self.clock = clock
        self.timeframe = canonical_timeframe(timeframe)
        self._base = parse_timeframe(timeframe)
        self._cache: dict[tuple[str, str], _Series] = {}
        self._last_bar: dict[str, tuple[int, Bar]] = {}
        self._last_quote: dict[str, tuple[int, Quote]] = {}
        for symbol in source.symbols():
            self._check_spacing(symbol, source.frame(symbol))

    def _check_spacing(self, symbol: str, frame: pd.DataFrame) -> None:
        if len(frame) < 2:
            return
        spacing = min_spacing(frame)
        if spacing < self._base:
            raise MalformedDataError(
                f"{symbol}: bars {spacing} apart overlap {self.timeframe} bars"
            )
        if spacing > self._base:
            raise MalformedDataError(
                f"{symbol}: bars are at least {spacing} apart, coarser than the feed's "
                f"{self.timeframe}; pass the data's real timeframe (it says when bars complete)"
            )

    # ------------------------------------------------------------ MarketData

    def symbols(self) -> list[str]:
        return self.source.symbols()

    def get_asset(self, symbol: str) -> Asset:
        return self.source.asset(symbol)

    def get_bars(
        self,
        symbol: str,
        timeframe: str = "1Day",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """Completed bars with open time in [start, end]; `end` past now is clipped to now.
        An empty frame when none are complete yet. Frames carry no `attrs` (the source's
        frames keep them)."""
        series = self._series(symbol, timeframe)
        stop = self._visible(series)
        if end is not None:
            stop = min(stop, int(np.searchsorted(series.opens, _ns(end, "end"), side="right")))
        first = 0 if start is None else int(np.searchsorted(series.opens, _ns(start, "start")))
        return series.frame.iloc[first : max(first, stop)]

    def latest_bar(self, symbol: str) -> Bar:
        """The last completed bar at the base timeframe; NoDataError before the first."""
        return self._latest(symbol)[1]

    def latest_quote(self, symbol: str) -> Quote:
        """Derived from the last completed bar: bid = ask = last = close, stamped when the
        bar completed (built once per bar: the paper broker is marked before every turn)."""
        last, bar = self._latest(symbol)
        cached = self._last_quote.get(symbol)
        if cached is not None and cached[0] == last:
            return cached[1]
        end = self._series(symbol, self.timeframe).end(last)
        closed = pd.Timestamp(end, unit="ns", tz="UTC").to_pydatetime()
        quote = Quote(symbol=symbol, timestamp=closed, bid=bar.close, ask=bar.close, last=bar.close)
        self._last_quote[symbol] = (last, quote)
        return quote

    # ------------------------------------------------------------ internals

    def _latest(self, symbol: str) -> tuple[int, Bar]:
        """(index, bar) of the last completed base bar, built once per bar."""
        series = self._series(symbol, self.timeframe)
        last = self._visible(series) - 1
        if last < 0:
            raise NoDataError(f"no completed {symbol} bar at {self.clock.now().isoformat()}")
        cached = self._last_bar.get(symbol)
        if cached is not None and cached[0] == last:
            return cached
        o, h, low, c, v = (exact_decimal(x) for x in series.values[last])
        stamp = pd.Timestamp(series.opens[last], unit="ns", tz="UTC").to_pydatetime()
        bar = Bar(symbol=symbol, timestamp=stamp, open=o, high=h, low=low, close=c, volume=v)
        self._last_bar[symbol] = (last, bar)
        return last, bar

    def _visible(self, series: _Series) -> int:
        """How many bars are complete at now."""
        return series.complete_at(_ns(self.clock.now(), "clock.now()"))

    def completed_after(self, symbol: str, timeframe: str, after: datetime) -> pd.DataFrame:
        """Bars completed in (after, now]: what became known since `after`."""
        series = self._series(symbol, timeframe)
        first = series.complete_at(_ns(after, "after"))
        return series.frame.iloc[first : max(first, self._visible(series))]

    def _series(self, symbol: str, timeframe: str) -> _Series:
        key = (symbol, timeframe)
        series = self._cache.get(key)
        if series is not None:
            return series
        name = canonical_timeframe(timeframe)
        series = self._cache.get((symbol, name))
        if series is None:
            series = self._build(symbol, name)
            self._cache[(symbol, name)] = series
        self._cache[key] = series
        return series

    def _build(self, symbol: str, name: str) -> _Series:
        frame = self.source.frame(symbol)
        duration = parse_timeframe(name)
        if duration < self._base:
            raise ValueError(f"{symbol} data is {self.timeframe}; cannot serve finer {name} bars")
        if duration != self._base:
            frame = resample(frame, duration)
            log.debug("resampled %s %s -> %s: %d bars", symbol, self.timeframe, name, len(frame))
        # the session rule holds for the source's own daily bars; a daily bar resampled from
        # intraday ones may hold bars after the close (extended hours): open + duration
        calendar = self.source.asset(symbol).calendar if duration == self._base else None
        return _Series.of(frame, duration, calendar)
