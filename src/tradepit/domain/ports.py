"""Ports: the Protocols adapters implement. The domain depends only on these."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from tradepit.domain.models import (
    Account,
    Asset,
    Bar,
    Fill,
    Frozen,
    Order,
    OrderRequest,
    Position,
    Quote,
)

if TYPE_CHECKING:
    import pandas as pd

OrderQuery = Literal["open", "closed", "all"]


@runtime_checkable
class Clock(Protocol):
    """The only source of "now". Replay clocks step through history; live clocks read UTC."""

    def now(self) -> datetime: ...


class MarketData(Protocol):
    """Historical and latest market data. Bars are a DataFrame indexed by UTC open time
    with float64 columns open, high, low, close, volume."""

    def symbols(self) -> list[str]: ...

    def get_asset(self, symbol: str) -> Asset: ...

    def get_bars(
        self,
        symbol: str,
        timeframe: str = "1Day",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame: ...

    def latest_bar(self, symbol: str) -> Bar: ...

    def latest_quote(self, symbol: str) -> Quote: ...


class Broker(Protocol):
    """Orders, fills, positions and the account. The broker is the truth for all four."""

    def get_account(self) -> Account: ...

    def get_positions(self) -> list[Position]: ...

    def get_position(self, symbol: str) -> Position | None: ...

    def submit_order(self, request: OrderRequest) -> Order: ...

    def get_order(self, order_id: str) -> Order: ...

    def get_order_by_client_id(self, client_order_id: str) -> Order | None: ...

    def list_orders(self, status: OrderQuery = "open") -> list[Order]: ...

    def cancel_order(self, order_id: str) -> Order: ...

    def close_position(self, symbol: str) -> Order: ...

    def get_fills(self, since: datetime | None = None) -> list[Fill]: ...


class LedgerSnapshot(Frozen):
    """Everything a paper account needs to continue after a restart."""

    account_id: str
    cash: Decimal
    last_equity: Decimal
    equity_peak: Decimal
    day: str | None = None
    """ISO date of the session `last_equity` belongs to."""
    positions: tuple[Position, ...] = ()
    orders: tuple[Order, ...] = ()
    updated_at: datetime


class LedgerStore(Protocol):
    """Persistence for a paper account. `save` is one transaction: snapshot plus new fills."""

    def load_ledger(self, account_id: str) -> LedgerSnapshot | None: ...

    def save_ledger(self, snapshot: LedgerSnapshot, new_fills: Sequence[Fill] = ()) -> None: ...

    def list_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]: ...
