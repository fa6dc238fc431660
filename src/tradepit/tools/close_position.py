"""close_position: close a whole position through the risk gate (always risk-reducing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradepit.domain.models import Order, OrderRequest
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


def cancel_entries(deps: AgentDeps, symbol: str) -> list[Order]:
    """Cancel the unfilled orders that would add to the position in `symbol` (all entry
    orders when nothing is held yet); orders that already reduce it stay. The canceled."""
    position = deps.broker.get_position(symbol)
    held = position.qty if position is not None else ZERO
    canceled = []
    for order in deps.broker.list_orders("open"):
        delta = pending_delta(order)
        if order.symbol != symbol or delta == 0 or (held != 0 and (delta > 0) != (held > 0)):
            continue
        canceled.append(deps.broker.cancel_order(order.id))
    return canceled


def close_position(deps: AgentDeps, args: ClosePositionInput) -> PlaceOrderOutput:
    """Close a whole position: cancels its unfilled entries and stop/target legs, then a
    market order for what is held (fills at the next bar's open); the broker's state."""
    symbol = resolve_symbol(deps, args.symbol)
    cid = deps.client_order_id(symbol, "close")
    existing = deps.broker.get_order_by_client_id(cid)
    if existing is not None:  # a retry of this cycle's close: report it, never resend
        return report("duplicate", existing, None, None)
    canceled = cancel_entries(deps, symbol)
    try:
        request = closing_request(deps, symbol)
    except NothingToCloseError:
        if not canceled:
            raise
        out = report("canceled", canceled[-1], None, None)
        listed = ", ".join(f"{o.side.value} {o.remaining_qty.normalize():f}" for o in canceled)
        return out.model_copy(update={"reason": f"nothing held; canceled unfilled {listed}"})
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
