"""close_position: close a whole position through the risk gate (always risk-reducing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradepit.domain.models import OrderRequest
from tradepit.tools._common import ZERO, pending_delta, resolve_symbol
from tradepit.tools._orders import VerdictView, check, estimated_notional
from tradepit.tools.base import Tool, ToolInput
from tradepit.tools.errors import NothingToCloseError
from tradepit.tools.place_order import PlaceOrderOutput, report, submit

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class ClosePositionInput(ToolInput):
    symbol: str


def closing_request(deps: AgentDeps, symbol: str) -> OrderRequest:
    """A market order for what is held minus what pending orders already close."""
    position = deps.broker.get_position(symbol)
    if position is None or position.qty == 0:
        raise NothingToCloseError(f"no open position in {symbol}")
    pending = sum(
        (pending_delta(o) for o in deps.broker.list_orders("open") if o.symbol == symbol), ZERO
    )
    remaining = position.qty + pending
    if remaining == 0 or (remaining > 0) != (position.qty > 0):
        raise NothingToCloseError(f"{symbol} is already being closed by a pending order")
    return OrderRequest(
        symbol=symbol,
        side=position.side.opposite,
        qty=abs(remaining),
        client_order_id=deps.client_order_id(symbol, "close"),
    )


def close_position(deps: AgentDeps, args: ClosePositionInput) -> PlaceOrderOutput:
    """Close a whole position with a market order (cancels its stop/target legs). Fills at
    the next bar's open; reports the broker's state."""
    symbol = resolve_symbol(deps, args.symbol)
    cid = deps.client_order_id(symbol, "close")
    existing = deps.broker.get_order_by_client_id(cid)
    if existing is not None:  # a retry of this cycle's close: report it, never resend
        return report("duplicate", existing, None, None)
    request = closing_request(deps, symbol)
    verdict = check(deps, request, closing=True)
    view = VerdictView.of(verdict, estimated_notional(deps, verdict))
    if not verdict.approved or verdict.adjusted_request is None:
        reason = "; ".join(r.message for r in verdict.reasons if r.blocking)
        return PlaceOrderOutput(outcome="denied_by_risk", reason=reason, risk=view).attach(verdict)
    for order in deps.broker.list_orders("open"):
        if order.symbol == symbol and order.parent_id is not None:
            deps.broker.cancel_order(order.id)
    return submit(deps, verdict, view, verdict.adjusted_request)


TOOL = Tool("close_position", ClosePositionInput, PlaceOrderOutput, close_position, True)
