"""Frozen domain models. Money, prices and quantities are Decimal; times are UTC-aware."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]
ZERO = Decimal("0")


def exact_decimal(value: float) -> Decimal:
    """The Decimal of a float's shortest repr: 0.1 -> Decimal("0.1"), not the binary
    expansion `Decimal(0.1)` gives."""
    return Decimal(repr(float(value)))


class Frozen(BaseModel):
    """Base for immutable domain values."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class OrderClass(StrEnum):
    SIMPLE = "simple"
    BRACKET = "bracket"
    OCO = "oco"
    OTO = "oto"


class OrderStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self in _OPEN_STATUSES


_OPEN_STATUSES = frozenset({OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})


class AssetClass(StrEnum):
    US_EQUITY = "us_equity"
    INDEX = "index"
    CRYPTO = "crypto"
    US_OPTION = "us_option"


class TradingState(StrEnum):
    """ACTIVE: all orders may pass. REDUCING: only risk-reducing orders. HALTED: kill switch."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


GLOBAL_SCOPE = "global"
"""The scope of a stored trading state that applies to every run (else a run's id)."""


class Bar(Frozen):
    """One OHLCV bar. `timestamp` is the bar's open time; the bar is complete at
    `timestamp + timeframe`."""

    symbol: str
    timestamp: UtcDatetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = ZERO

    @model_validator(mode="after")
    def _check_range(self) -> Bar:
        if not (self.low <= min(self.open, self.close) and self.high >= max(self.open, self.close)):
            raise ValueError(f"bar {self.symbol}@{self.timestamp} has open/close outside low..high")
        return self


class Quote(Frozen):
    symbol: str
    timestamp: UtcDatetime
    bid: Decimal
    ask: Decimal
    last: Decimal
    bid_size: Decimal = ZERO
    ask_size: Decimal = ZERO

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


class Asset(Frozen):
    symbol: str
    name: str = ""
    asset_class: AssetClass = AssetClass.US_EQUITY
    tradable: bool = True
    shortable: bool = True
    fractionable: bool = False
    calendar: str = "XNYS"
    """Exchange calendar name; "24/7" for crypto. Drives annualisation and market hours."""


class OrderRequest(Frozen):
    """What a caller asks the broker to do. Exactly one of qty or notional."""

    symbol: str = Field(min_length=1, max_length=32)
    side: Side
    qty: Decimal | None = None
    notional: Decimal | None = None
    type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.GTC
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    take_profit: Decimal | None = None
    """Limit price of a take-profit child (makes the order a bracket)."""
    stop_loss: Decimal | None = None
    """Stop price of a stop-loss child (makes the order a bracket)."""
    client_order_id: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _check_shape(self) -> OrderRequest:
        if (self.qty is None) == (self.notional is None):
            raise ValueError("give exactly one of qty or notional")
        if self.type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and self.limit_price is None:
            raise ValueError(f"{self.type} order needs limit_price")
        if self.type in (OrderType.STOP, OrderType.STOP_LIMIT) and self.stop_price is None:
            raise ValueError(f"{self.type} order needs stop_price")
        for name in ("limit_price", "stop_price", "take_profit", "stop_loss"):
            price = getattr(self, name)
            if price is not None and price <= 0:
                raise ValueError(f"{name} must be positive")
        return self

    @property
    def order_class(self) -> OrderClass:
        if self.take_profit is not None and self.stop_loss is not None:
            return OrderClass.BRACKET
        if self.take_profit is not None or self.stop_loss is not None:
            return OrderClass.OTO
        return OrderClass.SIMPLE


class Order(Frozen):
    """The broker's view of an order. Children of a bracket carry `parent_id`."""

    id: str
    client_order_id: str
    symbol: str
    side: Side
    qty: Decimal | None
    notional: Decimal | None = None
    type: OrderType
    time_in_force: TimeInForce
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    order_class: OrderClass = OrderClass.SIMPLE
    parent_id: str | None = None
    status: OrderStatus
    filled_qty: Decimal = ZERO
    filled_avg_price: Decimal | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    reject_reason: str | None = None
    legs: tuple[Order, ...] = ()

    @property
    def remaining_qty(self) -> Decimal:
        return (self.qty or ZERO) - self.filled_qty


class Fill(Frozen):
    id: str
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    commission: Decimal = ZERO
    timestamp: UtcDatetime


class Position(Frozen):
    """Signed quantity: positive long, negative short."""

    symbol: str
    qty: Decimal
    avg_entry_price: Decimal
    market_price: Decimal
    asset_class: AssetClass = AssetClass.US_EQUITY

    @property
    def market_value(self) -> Decimal:
        return self.qty * self.market_price

    @property
    def unrealized_pnl(self) -> Decimal:
        pnl = (self.market_price - self.avg_entry_price) * self.qty
        return pnl if pnl else abs(pnl)  # a short at its entry price: 0, not -0

    @property
    def side(self) -> Side:
        return Side.BUY if self.qty > 0 else Side.SELL


class Account(Frozen):
    id: str
    cash: Decimal
    equity: Decimal
    buying_power: Decimal
    long_market_value: Decimal = ZERO
    short_market_value: Decimal = ZERO
    last_equity: Decimal
    """Equity at the previous close: the base for the daily P&L."""
    equity_peak: Decimal
    """Highest equity seen: the base for the drawdown kill."""
    currency: str = "USD"
    timestamp: UtcDatetime


class RiskReason(Frozen):
    """A machine-readable reason from the risk gate (`code`) with a human explanation."""

    code: str
    message: str
    blocking: bool = True


class RiskVerdict(Frozen):
    approved: bool
    request: OrderRequest
    adjusted_request: OrderRequest | None = None
    """What may be sent: the request, possibly resized or given a stop; None when denied."""
    reasons: tuple[RiskReason, ...] = ()
    state: TradingState = TradingState.ACTIVE

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


class Decision(Frozen):
    """What a model or strategy decided on one tick, with its rationale."""

    run_id: str
    cycle: int
    symbol: str | None
    action: str
    rationale: str = ""
    timestamp: UtcDatetime
    backend: str = ""
