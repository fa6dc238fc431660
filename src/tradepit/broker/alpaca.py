"""AlpacaBroker: the `Broker` port on Alpaca's trading API (alpaca-py `TradingClient`).

The only module that imports alpaca-py's trading client. Paper trading by default; live
trading only when the settings say live AND the constructor gets ``confirm_live=True``
(anything else contradictory is a ConfigError). Every symbol is checked (`get_asset`) before
an order is sent: unknown symbols raise UnknownSymbolError, non-tradable ones
OrderRejectedError("not_tradable"). Every call goes through `Resilience` (rate limit,
circuit breaker, retries of transient errors; submits resolved by client_order_id).
Vendor errors leave as `tradepit.domain.errors`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import requests
from alpaca.common.exceptions import APIError
from alpaca.trading import enums as ae
from alpaca.trading import requests as ar
from alpaca.trading.client import TradingClient
from pydantic import ValidationError

from tradepit.broker import alpaca_mapping as mapping
from tradepit.broker.alpaca_http import DEFAULT_TIMEOUT, harden, translate
from tradepit.broker.alpaca_orders import (
    AnyOrderRequest,
    MultiLegOrderRequest,
    OcoRequest,
    TrailingStopRequest,
    new_client_order_id,
    symbols_of,
    to_alpaca,
)
from tradepit.broker.resilience import Resilience
from tradepit.clock import SystemClock
from tradepit.config import LIVE_TRADING_URL, PAPER_TRADING_URL, AlpacaSettings
from tradepit.domain.errors import (
    BrokerError,
    ConfigError,
    LiveNotConfirmedError,
    OrderNotCancelableError,
    OrderNotFoundError,
    OrderRejectedError,
    UnknownSymbolError,
)
from tradepit.domain.models import (
    Account,
    Asset,
    AssetClass,
    Fill,
    Frozen,
    Order,
    OrderClass,
    OrderRequest,
    OrderType,
    Position,
    TimeInForce,
    UtcDatetime,
)
from tradepit.domain.ports import Clock, OrderQuery
from tradepit.market.occ import is_occ

log = logging.getLogger(__name__)
T = TypeVar("T")
NEW_YORK = ZoneInfo("America/New_York")
FILL_PAGE_SIZE = 100


class MarketClock(Frozen):
    timestamp: UtcDatetime
    is_open: bool
    next_open: UtcDatetime
    next_close: UtcDatetime


class MarketDay(Frozen):
    """One trading session of the US equity calendar (times in UTC)."""

    date: date
    open: UtcDatetime
    close: UtcDatetime


def check_mode(settings: AlpacaSettings, confirm_live: bool) -> bool:
    """Whether this is live trading; ConfigError for missing keys or any contradiction."""
    if not settings.api_key.get_secret_value() or not settings.secret_key.get_secret_value():
        raise ConfigError(
            "Alpaca needs ALPACA_API_KEY and ALPACA_SECRET_KEY (paper keys for paper)"
        )
    host = urlparse(settings.base_url).hostname or ""
    live_host, paper_host = (
        urlparse(LIVE_TRADING_URL).hostname,
        urlparse(PAPER_TRADING_URL).hostname,
    )
    if settings.live:
        if not confirm_live:
            raise LiveNotConfirmedError(
                "TRADEPIT_ALPACA_LIVE is set but live trading was not confirmed: refusing to "
                "trade real money"
            )
        if host == paper_host:
            raise ConfigError(f"live trading needs ALPACA_BASE_URL={LIVE_TRADING_URL}")
        return True
    if confirm_live:
        raise ConfigError("live trading was confirmed but TRADEPIT_ALPACA_LIVE is not set")
    if host == live_host:
        raise ConfigError(
            f"ALPACA_BASE_URL points at the live API but live trading is off; "
            f"use {PAPER_TRADING_URL} or set TRADEPIT_ALPACA_LIVE=true"
        )
    return False


class AlpacaBroker:
    """Alpaca trading account behind the `Broker` port (see the module docstring)."""

    def __init__(
        self,
        settings: AlpacaSettings,
        *,
        confirm_live: bool = False,
        clock: Clock | None = None,
        resilience: Resilience | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        client: TradingClient | None = None,
        asset_ttl: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.live = check_mode(settings, confirm_live)
        self._clock = clock or SystemClock()
        self._resilience = resilience or Resilience("alpaca-trading")
        self._client = client or harden(
            TradingClient(
                api_key=settings.api_key.get_secret_value(),
                secret_key=settings.secret_key.get_secret_value(),
                paper=not self.live,
                url_override=settings.base_url,
            ),
            timeout,
        )
        self._asset_ttl = asset_ttl
        self._now = monotonic
        self._assets: dict[str, tuple[float, Asset]] = {}
        self._order_cids: dict[str, str] = {}
        self._lock = threading.Lock()
        self.equity_peak = Decimal(0)
        log.info("alpaca broker ready", extra={"live": self.live, "base_url": settings.base_url})

    # -- plumbing ------------------------------------------------------------------------

    def _do(self, what: str, fn: Callable[..., T], *args: Any, cid: str | None = None) -> T:
        try:
            return fn(*args)
        except (APIError, requests.RequestException) as e:
            raise translate(e, what, client_order_id=cid) from e
        except ValidationError as e:
            raise BrokerError(f"{what}: malformed answer from Alpaca: {e.errors()[:1]}") from e

    def _call(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        return self._resilience.call(lambda: self._do(what, fn, *args))

    # -- account and positions -----------------------------------------------------------

    def get_account(self) -> Account:
        raw = self._call("get account", self._client.get_account)
        account = mapping.to_account(raw, self._clock.now(), self.equity_peak)
        self.equity_peak = account.equity_peak
        return account

    def get_positions(self) -> list[Position]:
        raw = self._call("list positions", self._client.get_all_positions)
        return [mapping.to_position(p) for p in raw]

    def get_position(self, symbol: str) -> Position | None:
        try:
            raw = self._call("get position", self._client.get_open_position, _path(symbol))
        except OrderNotFoundError:
            return None
        return mapping.to_position(raw)

    # -- assets, clock, calendar ---------------------------------------------------------

    def get_asset(self, symbol: str) -> Asset:
        """The asset (an OCC symbol: its option contract); UnknownSymbolError if none.
        Cached for `asset_ttl` seconds."""
        with self._lock:
            cached = self._assets.get(symbol)
            if cached is not None and self._now() - cached[0] < self._asset_ttl:
                return cached[1]
        try:
            if is_occ(symbol):
                contract = self._call(
                    "get option contract", self._client.get_option_contract, symbol
                )
                asset = mapping.to_option_asset(contract)
            else:
                asset = mapping.to_asset(
                    self._call("get asset", self._client.get_asset, _path(symbol))
                )
        except OrderNotFoundError:
            raise UnknownSymbolError(symbol) from None
        with self._lock:
            self._assets[symbol] = (self._now(), asset)
        return asset

    def list_assets(self, asset_class: AssetClass = AssetClass.US_EQUITY) -> list[Asset]:
        """Active, tradable assets of a class (the universe for discovery)."""
        query = ar.GetAssetsRequest(
            status=ae.AssetStatus.ACTIVE, asset_class=ae.AssetClass(asset_class.value)
        )
        raw = self._call("list assets", self._client.get_all_assets, query)
        return [a for a in (mapping.to_asset(x) for x in raw) if a.tradable]

    def market_clock(self) -> MarketClock:
        raw = self._call("get clock", self._client.get_clock)
        return MarketClock(
            timestamp=raw.timestamp.astimezone(UTC),
            is_open=raw.is_open,
            next_open=raw.next_open.astimezone(UTC),
            next_close=raw.next_close.astimezone(UTC),
        )

    def calendar(self, start: date, end: date) -> list[MarketDay]:
        """Trading sessions from `start` to `end` (early closes included)."""
        query = ar.GetCalendarRequest(start=start, end=end)
        days = self._call("get calendar", self._client.get_calendar, query)
        return [
            MarketDay(
                date=d.date,
                open=d.open.replace(tzinfo=NEW_YORK).astimezone(UTC),
                close=d.close.replace(tzinfo=NEW_YORK).astimezone(UTC),
            )
            for d in days
        ]

    # -- orders ----------------------------------------------------------------------------

    def submit_order(self, request: OrderRequest) -> Order:
        return self._submit(request)

    def submit_trailing_stop(self, request: TrailingStopRequest) -> Order:
        return self._submit(request)

    def submit_oco(self, request: OcoRequest) -> Order:
        return self._submit(request)

    def submit_multi_leg(self, request: MultiLegOrderRequest) -> Order:
        return self._submit(request)

    def _submit(self, request: AnyOrderRequest) -> Order:
        self._validate(request)
        cid = request.client_order_id or new_client_order_id()
        payload = to_alpaca(request, cid)
        raw = self._resilience.submit(
            send=lambda: self._do("submit order", self._client.submit_order, payload, cid=cid),
            lookup=lambda: self._lookup(cid),
            client_order_id=cid,
        )
        order = mapping.to_order(raw)
        self._order_cids[order.id] = order.client_order_id
        log.info(
            "alpaca order submitted",
            extra={
                "order_id": order.id,
                "client_order_id": cid,
                "symbol": order.symbol,
                "status": order.status.value,
                "live": self.live,
            },
        )
        return order

    def _validate(self, request: AnyOrderRequest) -> None:
        for symbol in symbols_of(request):
            asset = self.get_asset(symbol)
            if not asset.tradable:
                raise OrderRejectedError("not_tradable", f"{symbol} is not tradable on Alpaca")
            if asset.asset_class is AssetClass.US_OPTION and isinstance(request, OrderRequest):
                _check_option_order(request)

    def _lookup(self, cid: str) -> Any:
        try:
            return self._do("find order", self._client.get_order_by_client_id, cid)
        except OrderNotFoundError:
            return None

    def get_order(self, order_id: str) -> Order:
        query = ar.GetOrderByIdRequest(nested=True)
        try:
            raw = self._call("get order", self._client.get_order_by_id, order_id, query)
        except ValueError:  # not a UUID: cannot be an Alpaca order id
            raise OrderNotFoundError(f"no Alpaca order {order_id!r}") from None
        order = mapping.to_order(raw)
        self._order_cids[order.id] = order.client_order_id
        return order

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        raw = self._resilience.call(lambda: self._lookup(client_order_id))
        return mapping.to_order(raw) if raw is not None else None

    def list_orders(
        self,
        status: OrderQuery = "open",
        *,
        after: datetime | None = None,
        symbols: list[str] | None = None,
        limit: int = 500,
    ) -> list[Order]:
        """Orders with that status (newest first, at most `limit`, Alpaca's maximum is 500):
        parents followed by their legs, each leg also listed on its own."""
        if status not in ("open", "closed", "all"):
            raise ValueError(f"status must be open, closed or all, not {status!r}")
        query = ar.GetOrdersRequest(
            status=ae.QueryOrderStatus(status),
            nested=True,
            limit=limit,
            after=after,
            symbols=symbols,
            direction="desc",
        )
        raw = self._call("list orders", self._client.get_orders, query)
        return mapping.flatten([mapping.to_order(o) for o in raw])

    def cancel_order(self, order_id: str) -> Order:
        """Request cancellation; returns the order as Alpaca reports it afterwards."""
        try:
            self._call("cancel order", self._client.cancel_order_by_id, order_id)
        except ValueError:
            raise OrderNotFoundError(f"no Alpaca order {order_id!r}") from None
        except OrderRejectedError as e:
            raise OrderNotCancelableError(f"order {order_id}: {e}") from e
        return self.get_order(order_id)

    def close_position(self, symbol: str) -> Order:
        """Cancel the symbol's open orders, then send a market order for the whole position
        (with a client_order_id, so the close is never sent twice)."""
        position = self.get_position(symbol)
        if position is None:
            raise OrderRejectedError("no_position", f"no open position in {symbol}")
        for order in self.list_orders("open", symbols=[symbol]):
            if order.parent_id is None:
                try:
                    self.cancel_order(order.id)
                except OrderNotCancelableError:
                    log.info("order %s already closed", order.id)
        crypto = position.asset_class is AssetClass.CRYPTO
        return self._submit(
            OrderRequest(
                symbol=symbol,
                side=position.side.opposite,
                qty=abs(position.qty),
                type=OrderType.MARKET,
                time_in_force=TimeInForce.GTC if crypto else TimeInForce.DAY,
            )
        )

    # -- fills -----------------------------------------------------------------------------

    def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Executions (FILL account activities) at or after `since`, oldest first."""
        params: dict[str, Any] = {"direction": "asc", "page_size": FILL_PAGE_SIZE}
        if since is not None:
            params["after"] = since.astimezone(UTC).isoformat()
        fills: list[Fill] = []
        while True:
            page = self._call("list fills", self._client.get, "/account/activities/FILL", params)
            activities = [a for a in page or [] if a.get("activity_type", "FILL") == "FILL"]
            for activity in activities:
                cid = self._client_id_of(str(activity["order_id"]))
                fills.append(mapping.to_fill(activity, cid))
            if len(page or []) < FILL_PAGE_SIZE:
                return fills
            if params.get("page_token") == page[-1]["id"]:
                raise BrokerError("list fills: Alpaca's pages did not advance")
            params["page_token"] = page[-1]["id"]

    def _client_id_of(self, order_id: str) -> str:
        cid = self._order_cids.get(order_id)
        if cid is None:
            cid = self.get_order(order_id).client_order_id
        return cid


def _path(symbol: str) -> str:
    """Symbol as a URL path segment ("BTC/USD" -> "BTCUSD", as Alpaca accepts)."""
    return symbol.replace("/", "")


def _check_option_order(request: OrderRequest) -> None:
    problems = []
    if request.qty is None or request.qty != request.qty.to_integral_value():
        problems.append("a whole number of contracts (qty, not notional)")
    if request.time_in_force is not TimeInForce.DAY:
        problems.append("time_in_force day")
    if request.order_class is not OrderClass.SIMPLE:
        problems.append("no take_profit/stop_loss legs")
    if problems:
        raise OrderRejectedError(
            "invalid_option_order", "option orders need " + ", ".join(problems)
        )
