"""check_risk: an order through the risk gate, without placing it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradepit.tools._orders import (
    OrderArgs,
    OrderToolOutput,
    VerdictView,
    build_request,
    check,
    estimated_notional,
)
from tradepit.tools.base import Tool

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class CheckRiskOutput(OrderToolOutput):
    symbol: str
    side: str
    risk: VerdictView


def check_risk(deps: AgentDeps, args: OrderArgs) -> CheckRiskOutput:
    """Check an order against the risk limits WITHOUT placing it: verdict, reasons, allowed
    qty and the stop-loss/take-profit that would be attached."""
    request = build_request(deps, args)
    verdict = check(deps, request)
    view = VerdictView.of(verdict, estimated_notional(deps, verdict))
    output = CheckRiskOutput(symbol=request.symbol, side=request.side.value, risk=view)
    return output.attach(verdict)


TOOL = Tool("check_risk", OrderArgs, CheckRiskOutput, check_risk)
