"""Sample notification events for the notifier tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tradepit.domain.models import Fill, RiskReason, Side, TradingState
from tradepit.integrations.events import (
    BattleFinished,
    LeaderboardRow,
    OrderFilled,
    OrderRejected,
    RiskStateChanged,
    ServiceAlert,
)

T = datetime(2024, 3, 5, 14, 31, tzinfo=UTC)


def filled() -> OrderFilled:
    fill = Fill(
        id="f1",
        order_id="o1",
        client_order_id="run1-c3-ACME-entry",
        symbol="ACME",
        side=Side.BUY,
        qty=Decimal(100),
        price=Decimal("101.25"),
        commission=Decimal(1),
        timestamp=T,
    )
    return OrderFilled(at=T, account_id="acct-1", fill=fill, competitor="alpha")


def rejected(reason: str = "position would exceed 20% of equity") -> OrderRejected:
    return OrderRejected(
        at=T,
        account_id="paper_default",
        symbol="ACME",
        side=Side.SELL,
        qty=Decimal(5),
        source="risk",
        codes=("MAX_POSITION_PCT",),
        reason=reason,
    )


def halted() -> RiskStateChanged:
    reason = RiskReason(code="DAILY_LOSS_HALT", message="daily P&L -5.20%", blocking=False)
    return RiskStateChanged(
        at=T,
        scope="global",
        previous=TradingState.REDUCING,
        state=TradingState.HALTED,
        reasons=(reason,),
    )


def outage(message: str = "alpaca: circuit open, next trial in 30.0 s") -> ServiceAlert:
    return ServiceAlert(
        at=T,
        alert="circuit_open",
        component="alpaca",
        error_type="CircuitOpenError",
        message=message,
        retry_after=30.0,
    )


def battle() -> BattleFinished:
    rows = (
        LeaderboardRow(
            rank=2,
            competitor="rules:macd",
            equity=Decimal("99500"),
            return_pct=Decimal("-0.005"),
            trades=3,
        ),
        LeaderboardRow(
            rank=1,
            competitor="claude",
            equity=Decimal("101234.5"),
            return_pct=Decimal("0.012345"),
            trades=12,
            inference_cost=Decimal("0.42"),
        ),
    )
    return BattleFinished(at=T, battle_id="b7", rows=rows)
