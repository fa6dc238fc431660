"""Typed notification events (pydantic, frozen). `render.py` turns them into a neutral
`Message`; the Slack and Discord notifiers format that per target.

Every event carries `at` (from the Clock) and a `severity` that drives routing:
critical (halts, outages), warning (rejections, REDUCING), info (fills, summaries).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from tradepit.domain.errors import OrderRejectedError
from tradepit.domain.models import (
    Fill,
    Frozen,
    OrderRequest,
    OrderStatus,
    Position,
    RiskReason,
    RiskVerdict,
    Side,
    TradingState,
    UtcDatetime,
)

_RANK = {"info": 0, "warning": 1, "critical": 2}


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self.value]

    def and_above(self) -> frozenset[Severity]:
        """This severity and every more severe one."""
        return frozenset(s for s in Severity if s.rank >= self.rank)


class OrderFilled(Frozen):
    """A fill (complete or partial) reported by the broker."""

    kind: Literal["order_filled"] = "order_filled"
    at: UtcDatetime
    account_id: str
    fill: Fill
    order_status: OrderStatus = OrderStatus.FILLED
    competitor: str | None = None

    @property
    def severity(self) -> Severity:
        return Severity.INFO


class OrderRejected(Frozen):
    """An order refused by the risk gate (`source="risk"`) or by the broker."""

    kind: Literal["order_rejected"] = "order_rejected"
    at: UtcDatetime
    account_id: str
    symbol: str
    side: Side
    qty: Decimal | None = None
    notional: Decimal | None = None
    source: Literal["risk", "broker"]
    codes: tuple[str, ...]
    reason: str
    client_order_id: str | None = None
    competitor: str | None = None
    repeats: int = 0
    """Identical rejections (symbol, source, codes) held back since the last one sent."""

    @property
    def severity(self) -> Severity:
        return Severity.WARNING

    @property
    def repeat_key(self) -> tuple[str, str, tuple[str, ...]]:
        """What makes two rejections the same for the repeat filter."""
        return (self.symbol, self.source, self.codes)

    @classmethod
    def from_verdict(
        cls, verdict: RiskVerdict, account_id: str, at: datetime, competitor: str | None = None
    ) -> OrderRejected:
        """The event for a denial by the risk gate (its blocking reasons)."""
        request = verdict.request
        blocking = [r for r in verdict.reasons if r.blocking] or list(verdict.reasons)
        return cls(
            at=at, account_id=account_id, symbol=request.symbol, side=request.side,
            qty=request.qty, notional=request.notional, source="risk",
            codes=tuple(r.code for r in blocking),
            reason="; ".join(r.message for r in blocking) or "denied",
            client_order_id=request.client_order_id, competitor=competitor,
        )  # fmt: skip

    @classmethod
    def from_error(
        cls,
        request: OrderRequest,
        error: OrderRejectedError,
        account_id: str,
        at: datetime,
        competitor: str | None = None,
    ) -> OrderRejected:
        """The event for a refusal by the broker."""
        return cls(
            at=at, account_id=account_id, symbol=request.symbol, side=request.side,
            qty=request.qty, notional=request.notional, source="broker", codes=(error.code,),
            reason=str(error), client_order_id=request.client_order_id, competitor=competitor,
        )  # fmt: skip


class RiskStateChanged(Frozen):
    """The trading state of a scope ("global", a run or an account) changed."""

    kind: Literal["risk_state_changed"] = "risk_state_changed"
    at: UtcDatetime
    scope: str
    previous: TradingState
    state: TradingState
    reasons: tuple[RiskReason, ...] = ()

    @property
    def severity(self) -> Severity:
        if self.state is TradingState.HALTED:
            return Severity.CRITICAL
        if self.state is TradingState.REDUCING:
            return Severity.WARNING
        return Severity.INFO


AlertKind = Literal["circuit_open", "reconciliation_failure", "error"]
_ALERT_SEVERITY = {
    "circuit_open": Severity.CRITICAL,
    "reconciliation_failure": Severity.CRITICAL,
    "error": Severity.WARNING,
}
_ALERT_BY_ERROR = {
    "CircuitOpenError": "circuit_open",
    "ReconciliationError": "reconciliation_failure",
}


class ServiceAlert(Frozen):
    """An error or an outage: circuit breaker open, reconciliation failure, other errors."""

    kind: Literal["service_alert"] = "service_alert"
    at: UtcDatetime
    alert: AlertKind
    component: str
    error_type: str
    message: str
    retry_after: float | None = None
    level: Severity | None = None
    """Overrides the default severity (critical for outages, warning for other errors)."""

    @property
    def severity(self) -> Severity:
        return self.level or _ALERT_SEVERITY[self.alert]

    @classmethod
    def from_error(cls, component: str, error: BaseException, at: datetime) -> ServiceAlert:
        """An alert for `error`; CircuitOpenError and ReconciliationError (and subclasses)
        become `circuit_open` and `reconciliation_failure`, anything else `error`."""
        alert = next(
            (
                _ALERT_BY_ERROR[k.__name__]
                for k in type(error).__mro__
                if k.__name__ in _ALERT_BY_ERROR
            ),
            "error",
        )
        retry_after = getattr(error, "retry_after", None)
        return cls(
            at=at,
            alert=alert,
            component=component,
            error_type=type(error).__name__,
            message=str(error),
            retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
        )


class LeaderboardRow(Frozen):
    """One competitor's final standing in a battle (after fees and inference cost)."""

    rank: int
    competitor: str
    equity: Decimal
    return_pct: Decimal
    """Return as a fraction: 0.012 = +1.2 %."""
    trades: int = 0
    inference_cost: Decimal = Decimal(0)


class BattleFinished(Frozen):
    kind: Literal["battle_finished"] = "battle_finished"
    at: UtcDatetime
    battle_id: str
    rows: tuple[LeaderboardRow, ...]

    @property
    def severity(self) -> Severity:
        return Severity.INFO


class AccountSummary(Frozen):
    """One account's day: P&L of the session and since inception, trades, positions."""

    account_id: str
    competitor: str | None = None
    equity: Decimal | None = None
    """Equity at the close (None when nothing was recorded for the account)."""
    day_pnl: Decimal | None = None
    """Equity at this close minus equity at the previous close (None when unknown)."""
    day_return: Decimal | None = None
    total_pnl: Decimal | None = None
    """Equity at this close minus the first recorded equity."""
    total_return: Decimal | None = None
    trades: tuple[Fill, ...] = ()
    positions: tuple[Position, ...] = ()
    state: TradingState = TradingState.ACTIVE


class RejectionCount(Frozen):
    """How often an order of `symbol` was refused for the same reasons (codes)."""

    symbol: str
    source: Literal["risk", "broker"]
    codes: tuple[str, ...]
    count: int
    notified: int
    """How many of them were sent as notifications (the rest were identical repeats)."""


class DailySummary(Frozen):
    """The summary of one exchange session, sent after its close."""

    kind: Literal["daily_summary"] = "daily_summary"
    at: UtcDatetime
    session: date
    accounts: tuple[AccountSummary, ...]
    state: TradingState = TradingState.ACTIVE
    rejections: tuple[RejectionCount, ...] = ()
    """Orders refused since the previous summary, counted per symbol and reasons."""

    @property
    def severity(self) -> Severity:
        return Severity.INFO


class Ping(Frozen):
    """Sent by `tradepit notify test` to check a target end to end."""

    kind: Literal["test"] = "test"
    at: UtcDatetime
    text: str = "tradepit notification test: this target is configured correctly."
    level: Severity = Severity.INFO

    @property
    def severity(self) -> Severity:
        return self.level


NotifyEvent = Annotated[
    OrderFilled
    | OrderRejected
    | RiskStateChanged
    | ServiceAlert
    | BattleFinished
    | DailySummary
    | Ping,
    Field(discriminator="kind"),
]
"""Any notification event; `kind` discriminates (JSON round trips via a TypeAdapter)."""
