"""get_account: equity, cash, buying power, daily P&L, drawdown and trading state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from tradepit.tools._common import iso, num, pct, trading_state
from tradepit.tools.base import Tool, ToolInput, ToolOutput

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class GetAccountInput(ToolInput):
    pass


class GetAccountOutput(ToolOutput):
    equity: float
    cash: float
    buying_power: float
    day_pnl: float
    day_pnl_pct: float | None
    drawdown_pct: float | None = Field(None, description="From the equity peak")
    state: str = Field(description="active, reducing (exits only) or halted")
    state_reasons: list[str] = Field(default_factory=list)
    as_of: str


def get_account(deps: AgentDeps, args: GetAccountInput) -> GetAccountOutput:
    """Account summary: equity, cash, buying power, today's P&L, drawdown, trading state."""
    account = deps.broker.get_account()
    state, reasons = trading_state(deps, account)
    day = account.equity - account.last_equity
    return GetAccountOutput(
        equity=num(account.equity, 10),
        cash=num(account.cash, 10),
        buying_power=num(account.buying_power, 10),
        day_pnl=num(day, 8),
        day_pnl_pct=pct(day / account.last_equity) if account.last_equity > 0 else None,
        drawdown_pct=pct(account.equity / account.equity_peak - 1)
        if account.equity_peak > 0
        else None,
        state=state.value,
        state_reasons=list(reasons),
        as_of=iso(deps.clock.now()),
    )


TOOL = Tool("get_account", GetAccountInput, GetAccountOutput, get_account)
