"""AlpacaMarketData: the `MarketData` port on Alpaca's market data API (alpaca-py clients).

- Stock bars 1Min..1Day (all pages, following next_page_token); other timeframes are
  resampled (tradepit.market.resample) from the largest native one dividing them, e.g.
  4Hour from 1Hour. Only bars complete at ``clock.now()`` are returned. Crypto symbols
  ("BTC/USD") use the crypto endpoints.
- Latest bar, quote (bid/ask + last trade) and trade.
- Option chains with greeks and implied volatility from snapshots (pages bounded by
  `max_contracts`), snapshots of given contracts in batches.
- Asset discovery: the tradable universe (from an `AssetSource`, e.g. AlpacaBroker) filtered
  by price and dollar volume, cached for `universe_ttl` seconds.

Data safety: when Alpaca cannot be reached DataUnavailableError is raised (and, in live
mode, the `alert` hook is called); no other data is ever substituted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import pandas as pd
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.enums import DataFeed
from alpaca.data.historical import (
    CryptoHistoricalDataClient,
    OptionHistoricalDataClient,
    StockHistoricalDataClient,
)
from alpaca.data.models import Bar as AlpacaBar
from alpaca.data.models.snapshots import OptionsSnapshot
from alpaca.data.requests import (
    CryptoBarsRequest,
    CryptoLatestBarRequest,
    CryptoLatestQuoteRequest,
    CryptoLatestTradeRequest,
    OptionSnapshotRequest,
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockSnapshotRequest,
)
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
from pydantic import ValidationError

from tradepit.broker.alpaca_http import DEFAULT_TIMEOUT, harden, translate
from tradepit.broker.resilience import Resilience
from tradepit.clock import SystemClock
from tradepit.config import AlpacaSettings
from tradepit.domain.errors import (
    BrokerUnavailableError,
    ConfigError,
    DataUnavailableError,
    MalformedDataError,
    NoDataError,
)
from tradepit.domain.models import (
    Asset,
    AssetClass,
    Bar,
    Frozen,
    Quote,
    UtcDatetime,
    exact_decimal,
)
from tradepit.domain.ports import Clock
from tradepit.market.occ import Greeks, OptionKind, OptionQuote, is_occ, parse_occ
from tradepit.market.resample import resample
from tradepit.market.timeframe import canonical_timeframe, parse_timeframe

log = logging.getLogger(__name__)
T = TypeVar("T")
COLUMNS = ["open", "high", "low", "close", "volume"]
NATIVE = {
    "1Min": (1, TimeFrameUnit.Minute),
    "5Min": (5, TimeFrameUnit.Minute),
    "15Min": (15, TimeFrameUnit.Minute),
    "30Min": (30, TimeFrameUnit.Minute),
    "1Hour": (1, TimeFrameUnit.Hour),
    "1Day": (1, TimeFrameUnit.Day),
}
"""Timeframes fetched as they are; others are resampled from the largest that divides them."""
Alert = Callable[[str, dict[str, Any]], None]


class AssetSource(Protocol):
    """Where assets come from (AlpacaBroker implements it)."""

    def get_asset(self, symbol: str) -> Asset: ...

    def list_assets(self, asset_class: AssetClass = AssetClass.US_EQUITY) -> list[Asset]: ...


class LastTrade(Frozen):
    symbol: str
    timestamp: UtcDatetime
    price: Decimal
    size: Decimal


class LiquidAsset(Frozen):
    asset: Asset
    price: Decimal
    dollar_volume: Decimal


def _d(value: float | None) -> Decimal | None:
    return None if value is None else exact_decimal(value)


def is_crypto(symbol: str) -> bool:
    return "/" in symbol


def native_base(timeframe: str) -> tuple[str, pd.Timedelta]:
    """(native timeframe to fetch, target duration): "4Hour" -> ("1Hour", 4h)."""
    name = canonical_timeframe(timeframe)
    target = parse_timeframe(name)
    if name in NATIVE:
        return name, target
    for base in sorted(NATIVE, key=parse_timeframe, reverse=True):
        step = parse_timeframe(base)
        if step <= target and target % step == pd.Timedelta(0):
            return base, target
    raise ValueError(f"timeframe {timeframe!r} cannot be built from {', '.join(NATIVE)}")


class AlpacaMarketData:
    """MarketData on Alpaca (see the module docstring)."""

    def __init__(
        self,
        settings: AlpacaSettings,
        *,
        clock: Clock | None = None,
        assets: AssetSource | None = None,
        live: bool | None = None,
        alert: Alert | None = None,
        resilience: Resilience | None = None,
        feed: str = "iex",
        timeout: float = DEFAULT_TIMEOUT,
        clients: tuple[Any, Any, Any] | None = None,
        max_option_contracts: int = 500,
        snapshot_batch: int = 100,
        universe_ttl: float = 3600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        key, secret = settings.api_key.get_secret_value(), settings.secret_key.get_secret_value()
        if not key or not secret:
            raise ConfigError("Alpaca data needs ALPACA_API_KEY and ALPACA_SECRET_KEY")
        self._clock = clock or SystemClock()
        self._assets = assets
        self.live = settings.live if live is None else live
        self._alert = alert
        self._resilience = resilience or Resilience("alpaca-data")
        self._feed = DataFeed(feed)
        if clients is None:
            url = settings.data_url
            clients = (
                harden(StockHistoricalDataClient(key, secret, url_override=url), timeout),
                harden(CryptoHistoricalDataClient(key, secret, url_override=url), timeout),
                harden(OptionHistoricalDataClient(key, secret, url_override=url), timeout),
            )
        self._stocks, self._crypto, self._options = clients
        self.max_option_contracts = max_option_contracts
        self.snapshot_batch = snapshot_batch
        self._universe_ttl = universe_ttl
        self._now = monotonic
        self._universe: dict[tuple[Any, ...], tuple[float, list[LiquidAsset]]] = {}

    # -- plumbing ----------------------------------------------------------------------

    def _fetch(self, what: str, fn: Callable[..., T], *args: Any, symbol: str | None = None) -> T:
        def once() -> T:
            try:
                return fn(*args)
            except (APIError, requests.RequestException) as e:
                raise translate(e, what, api="data", symbol=symbol) from e
            except (ValidationError, KeyError, TypeError) as e:
                raise MalformedDataError(f"{what}: malformed answer from Alpaca: {e}") from e

        try:
            return self._resilience.call(once)
        except BrokerUnavailableError as e:
            message = f"Alpaca market data unavailable ({what}): {e}"
            log.error(message, extra={"symbol": symbol, "live": self.live})
            if self.live and self._alert is not None:
                self._alert(message, {"what": what, "symbol": symbol})
            raise DataUnavailableError(message) from e

    # -- MarketData port ---------------------------------------------------------------

    def symbols(self) -> list[str]:
        """The liquid tradable universe (see `discover`)."""
        return [item.asset.symbol for item in self.discover()]

    def get_asset(self, symbol: str) -> Asset:
        if self._assets is not None:
            return self._assets.get_asset(symbol)
        if is_occ(symbol):
            return Asset(symbol=symbol, asset_class=AssetClass.US_OPTION, shortable=False)
        if is_crypto(symbol):
            return Asset(symbol=symbol, asset_class=AssetClass.CRYPTO, calendar="24/7")
        return Asset(symbol=symbol)

    def get_bars(
        self,
        symbol: str,
        timeframe: str = "1Day",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """Completed bars with open time in [start, end] (end clipped to now), float64
        columns open..volume indexed by UTC open time. NoDataError when there are none."""
        base, target = native_base(timeframe)
        now = self._clock.now()
        end = now if end is None or end > now else end
        amount, unit = NATIVE[base]
        fields = {
            "symbol_or_symbols": symbol,
            "timeframe": TimeFrame(amount, unit),
            "start": start,
            "end": end,
        }
        if is_crypto(symbol):
            barset = self._fetch(
                "crypto bars",
                self._crypto.get_crypto_bars,
                CryptoBarsRequest(**fields),
                symbol=symbol,
            )
        else:
            request = StockBarsRequest(feed=self._feed, **fields)
            barset = self._fetch("stock bars", self._stocks.get_stock_bars, request, symbol=symbol)
        frame = _frame(barset.data.get(symbol, []))
        if target != parse_timeframe(base):
            frame = resample(frame, target)
        frame = frame[frame.index + target <= pd.Timestamp(now)]
        if frame.empty:
            raise NoDataError(f"Alpaca has no {timeframe} bars for {symbol} in the range")
        frame.attrs.update(symbol=symbol, timeframe=canonical_timeframe(timeframe), source="alpaca")
        return frame

    def latest_bar(self, symbol: str) -> Bar:
        """The latest minute bar."""
        if is_crypto(symbol):
            bars = self._fetch(
                "latest crypto bar",
                self._crypto.get_crypto_latest_bar,
                CryptoLatestBarRequest(symbol_or_symbols=symbol),
                symbol=symbol,
            )
        else:
            request = StockLatestBarRequest(symbol_or_symbols=symbol, feed=self._feed)
            bars = self._fetch(
                "latest bar", self._stocks.get_stock_latest_bar, request, symbol=symbol
            )
        bar = bars.get(symbol)
        if bar is None:
            raise NoDataError(f"Alpaca has no latest bar for {symbol}")
        return to_bar(bar)

    def latest_quote(self, symbol: str) -> Quote:
        """Best bid/ask with the last trade price as `last`."""
        if is_crypto(symbol):
            quotes = self._fetch(
                "latest crypto quote",
                self._crypto.get_crypto_latest_quote,
                CryptoLatestQuoteRequest(symbol_or_symbols=symbol),
                symbol=symbol,
            )
        else:
            request = StockLatestQuoteRequest(symbol_or_symbols=symbol, feed=self._feed)
            quotes = self._fetch(
                "latest quote", self._stocks.get_stock_latest_quote, request, symbol=symbol
            )
        quote = quotes.get(symbol)
        if quote is None:
            raise NoDataError(f"Alpaca has no quote for {symbol}")
        trade = self.latest_trade(symbol)
        return Quote(
            symbol=symbol,
            timestamp=max(quote.timestamp, trade.timestamp),
            bid=_d(quote.bid_price),
            ask=_d(quote.ask_price),
            last=trade.price,
            bid_size=_d(quote.bid_size),
            ask_size=_d(quote.ask_size),
        )

    def latest_trade(self, symbol: str) -> LastTrade:
        if is_crypto(symbol):
            trades = self._fetch(
                "latest crypto trade",
                self._crypto.get_crypto_latest_trade,
                CryptoLatestTradeRequest(symbol_or_symbols=symbol),
                symbol=symbol,
            )
        else:
            request = StockLatestTradeRequest(symbol_or_symbols=symbol, feed=self._feed)
            trades = self._fetch(
                "latest trade", self._stocks.get_stock_latest_trade, request, symbol=symbol
            )
        trade = trades.get(symbol)
        if trade is None:
            raise NoDataError(f"Alpaca has no trade for {symbol}")
        return LastTrade(
            symbol=symbol, timestamp=trade.timestamp, price=_d(trade.price), size=_d(trade.size)
        )

    # -- options ------------------------------------------------------------------------

    def option_chain(
        self,
        underlying: str,
        *,
        kind: OptionKind | None = None,
        expiry_from: date | None = None,
        expiry_to: date | None = None,
        strike_min: float | None = None,
        strike_max: float | None = None,
    ) -> list[OptionQuote]:
        """Contracts of `underlying` with quotes, IV and greeks, sorted by expiry and strike.
        Pages are fetched until `max_contracts`; more contracts raise ValueError (narrow
        the filters)."""
        params: dict[str, Any] = {
            "type": kind.value if kind else None,
            "expiration_date_gte": expiry_from.isoformat() if expiry_from else None,
            "expiration_date_lte": expiry_to.isoformat() if expiry_to else None,
            "strike_price_gte": strike_min,
            "strike_price_lte": strike_max,
            "limit": min(1000, self.max_option_contracts),
        }
        params = {k: v for k, v in params.items() if v is not None}
        path = f"/options/snapshots/{underlying.upper()}"
        snapshots: dict[str, Any] = {}
        while True:
            page = self._fetch(
                "option chain", self._options.get, path, dict(params), symbol=underlying
            )
            snapshots.update(page.get("snapshots") or {})
            token = page.get("next_page_token")
            if not token:
                break
            if len(snapshots) >= self.max_option_contracts:
                raise ValueError(
                    f"the {underlying} chain has more than {self.max_option_contracts} contracts "
                    "for these filters; narrow the expiry or strike range"
                )
            params["page_token"] = token
        quotes = [to_option_quote(OptionsSnapshot(s, raw)) for s, raw in snapshots.items()]
        return sorted(quotes, key=lambda q: (q.contract.expiry, q.contract.strike, q.symbol))

    def option_snapshots(self, symbols: Sequence[str]) -> list[OptionQuote]:
        """Snapshots of the given OCC contracts, `snapshot_batch` symbols per request, at most
        `max_option_contracts` symbols."""
        unique = list(dict.fromkeys(symbols))
        if len(unique) > self.max_option_contracts:
            raise ValueError(f"at most {self.max_option_contracts} contracts per call")
        for symbol in unique:
            parse_occ(symbol)
        out: list[OptionQuote] = []
        for batch in _batches(unique, self.snapshot_batch):
            found = self._fetch(
                "option snapshots",
                self._options.get_option_snapshot,
                OptionSnapshotRequest(symbol_or_symbols=batch),
            )
            out.extend(to_option_quote(found[s]) for s in batch if s in found)
        return out

    # -- discovery ----------------------------------------------------------------------

    def discover(
        self,
        *,
        min_price: float = 5.0,
        min_dollar_volume: float = 20e6,
        limit: int | None = 200,
        batch: int = 200,
    ) -> list[LiquidAsset]:
        """Tradable US equities whose previous session traded at least `min_dollar_volume`
        dollars at a price >= `min_price`, most liquid first. Cached for `universe_ttl` s."""
        if self._assets is None:
            raise ConfigError("asset discovery needs an asset source (the Alpaca broker)")
        key = (min_price, min_dollar_volume, limit)
        cached = self._universe.get(key)
        if cached is not None and self._now() - cached[0] < self._universe_ttl:
            return cached[1]
        assets = {a.symbol: a for a in self._assets.list_assets(AssetClass.US_EQUITY)}
        liquid: list[LiquidAsset] = []
        for chunk in _batches(sorted(assets), batch):
            request = StockSnapshotRequest(symbol_or_symbols=chunk, feed=self._feed)
            snapshots = self._fetch("stock snapshots", self._stocks.get_stock_snapshot, request)
            for symbol, snap in snapshots.items():
                bar = snap.previous_daily_bar or snap.daily_bar
                if bar is None or symbol not in assets:
                    continue
                price, volume = _d(bar.close), _d(bar.volume)
                value = price * volume
                if price >= Decimal(str(min_price)) and value >= Decimal(str(min_dollar_volume)):
                    liquid.append(
                        LiquidAsset(asset=assets[symbol], price=price, dollar_volume=value)
                    )
        liquid.sort(key=lambda item: (-item.dollar_volume, item.asset.symbol))
        result = liquid[:limit] if limit is not None else liquid
        self._universe[key] = (self._now(), result)
        log.info("discovered %d liquid assets of %d", len(result), len(assets))
        return result


def _batches(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _frame(bars: list[AlpacaBar]) -> pd.DataFrame:
    index = pd.DatetimeIndex([b.timestamp for b in bars], name="timestamp")
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    values = [[b.open, b.high, b.low, b.close, b.volume] for b in bars]
    frame = pd.DataFrame(values, index=index, columns=COLUMNS, dtype="float64")
    return frame[~frame.index.duplicated(keep="last")].sort_index()


def to_bar(bar: AlpacaBar) -> Bar:
    return Bar(
        symbol=bar.symbol,
        timestamp=bar.timestamp,
        open=_d(bar.open),
        high=_d(bar.high),
        low=_d(bar.low),
        close=_d(bar.close),
        volume=_d(bar.volume),
    )


def to_option_quote(snapshot: OptionsSnapshot) -> OptionQuote:
    quote, trade, greeks = snapshot.latest_quote, snapshot.latest_trade, snapshot.greeks
    stamps = [x.timestamp for x in (quote, trade) if x is not None]
    return OptionQuote(
        contract=parse_occ(snapshot.symbol),
        symbol=snapshot.symbol,
        bid=_d(quote.bid_price) if quote else None,
        ask=_d(quote.ask_price) if quote else None,
        bid_size=_d(quote.bid_size) if quote else None,
        ask_size=_d(quote.ask_size) if quote else None,
        last=_d(trade.price) if trade else None,
        implied_volatility=snapshot.implied_volatility,
        greeks=Greeks(**greeks.model_dump()) if greeks else None,
        timestamp=max(stamps) if stamps else None,
    )


__all__ = ["AlpacaMarketData", "AssetSource", "LastTrade", "LiquidAsset", "native_base"]
