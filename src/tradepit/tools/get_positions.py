"""get_positions: open positions with unrealised P&L."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from tradepit.tools._common import num, pct
from tradepit.tools.base import Tool, ToolInput, ToolOutput

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class GetPositionsInput(ToolInput):
    pass


class PositionView(ToolOutput):
    symbol: str
    qty: float = Field(description="Negative = short")
    avg_entry: float
    price: float
    market_value: float
    unrealized_pnl: float
    unrealized_pct: float | None


class GetPositionsOutput(ToolOutput):
    positions: list[PositionView]
    total_market_value: float
    total_unrealized_pnl: float


def get_positions(deps: AgentDeps, args: GetPositionsInput) -> GetPositionsOutput:
    """Open positions with price, market value and unrealised P&L."""
    views = []
    for p in sorted(deps.broker.get_positions(), key=lambda p: p.symbol):
        cost = abs(p.qty) * p.avg_entry_price
        views.append(
            PositionView(
                symbol=p.symbol,
                qty=num(p.qty, 10),
                avg_entry=num(p.avg_entry_price),
                price=num(p.market_price),
                market_value=num(p.market_value, 10),
                unrealized_pnl=num(p.unrealized_pnl, 10),
                unrealized_pct=pct(p.unrealized_pnl / cost) if cost else None,
            )
        )
    return GetPositionsOutput(
        positions=views,
        total_market_value=num(sum(v.market_value for v in views), 10) or 0.0,
        total_unrealized_pnl=num(sum(v.unrealized_pnl for v in views), 10) or 0.0,
    )


TOOL = Tool("get_positions", GetPositionsInput, GetPositionsOutput, get_positions)
