"""Composition of the live adapters (used by `bootstrap.open_app` when the settings ask for
live data): Alpaca market data on the real clock, and either the Alpaca broker
(`TRADEPIT_BROKER=alpaca`, reconciled with the store before anything trades) or the paper
broker on the live feed.

Live data never falls back to anything: when Alpaca's data API is down the tools and the
loop get `DataUnavailableError` and an alert goes out (see `market.alpaca`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradepit.broker import PaperBroker
from tradepit.config import AlpacaSettings, Settings
from tradepit.domain.errors import ConfigError
from tradepit.domain.models import Order, OrderRequest

if TYPE_CHECKING:
    from tradepit.broker.alpaca import AlpacaBroker
    from tradepit.broker.reconcile import ReconcileReport
    from tradepit.domain.ports import Clock, LedgerStore
    from tradepit.market.alpaca import AlpacaMarketData

log = logging.getLogger(__name__)
Alert = Callable[[str, dict[str, Any]], None]

LIVE_FILL_TIMEFRAME = "1Min"
"""Bars the paper broker fills against on a live feed (an order fills on the next minute)."""


class LivePaperBroker(PaperBroker):
    """The paper broker on a live feed: an order's symbol is marked to the feed's last
    trade before the order is accepted (there is no bundled history to have marked it)."""

    def __init__(self, *args: Any, last_price: Callable[[str], Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_price = last_price

    def submit_order(self, request: OrderRequest) -> Order:
        self.mark(request.symbol, self._last_price(request.symbol))
        return super().submit_order(request)


def alpaca_settings() -> AlpacaSettings:
    """`ALPACA_*` from the environment or `.env` (read here, never elsewhere)."""
    return AlpacaSettings()


def open_market(
    clock: Clock, *, assets: Any = None, alert: Alert | None = None
) -> AlpacaMarketData:
    """Alpaca's market data API (`ALPACA_DATA_URL`) on `clock`; live: outages alert."""
    from tradepit.market.alpaca import AlpacaMarketData

    settings = alpaca_settings()
    return AlpacaMarketData(
        settings, clock=clock, assets=assets, live=True, alert=alert,
        resilience=_resilience("alpaca-data", settings), timeout=settings.timeout_s,
    )  # fmt: skip


def open_alpaca_broker(
    clock: Clock,
    *,
    confirm_live: bool,
    settings: AlpacaSettings | None = None,
    name: str = "alpaca-trading",
) -> AlpacaBroker:
    """The Alpaca account of `settings` (default `ALPACA_*`): paper unless
    TRADEPIT_ALPACA_LIVE and `confirm_live` (ConfigError on any contradiction, see
    `broker.alpaca.check_mode`); `name` labels its retries and circuit breaker."""
    from tradepit.broker.alpaca import AlpacaBroker

    settings = settings or alpaca_settings()
    return AlpacaBroker(
        settings, confirm_live=confirm_live, clock=clock,
        resilience=_resilience(name, settings), timeout=settings.timeout_s,
    )  # fmt: skip


def _resilience(name: str, settings: AlpacaSettings) -> Any:
    from tradepit.broker.resilience import Resilience

    return Resilience(name, max_attempts=settings.max_attempts)


def alpaca_account_id(broker: AlpacaBroker) -> str:
    """The store's id for an Alpaca account: mode and Alpaca's account id."""
    mode = "live" if broker.live else "paper"
    return f"alpaca-{mode}-{broker.get_account().id}"


def reconcile_on_start(
    broker: AlpacaBroker,
    store: LedgerStore,
    account_id: str,
    clock: Clock,
    alert: Callable[[BaseException], None] | None = None,
) -> ReconcileReport:
    """Bring the store in line with the account; ReconciliationError (after alerting)
    stops whatever wanted to trade."""
    from tradepit.broker.reconcile import ReconciliationError, reconcile

    try:
        report = reconcile(broker, store, account_id, clock)
    except ReconciliationError as e:
        if alert is not None:
            alert(e)
        raise
    log.info(
        "reconciled with Alpaca",
        extra={
            "account": account_id,
            "open_orders": len(report.open_orders),
            "closed_while_down": len(report.closed_while_down),
            "new_fills": len(report.new_fills),
            "external": len(report.external),
        },
    )
    return report


def check_broker(settings: Settings) -> str:
    """The broker name, checked against the data source (a real broker trades today: it
    cannot run on the bundled history)."""
    name = settings.broker.lower()
    if name not in ("paper", "alpaca"):
        raise ConfigError(f"unknown broker {settings.broker!r}; use 'paper' or 'alpaca'")
    if name == "alpaca" and settings.data_source() != "alpaca":
        raise ConfigError(
            "TRADEPIT_BROKER=alpaca needs live data: unset TRADEPIT_DATA or set it to 'alpaca'"
        )
    return name
