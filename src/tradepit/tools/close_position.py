"""close_position: flatten a symbol through the risk gate (always risk-reducing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradepit.domain.models import Order, OrderRequest, OrderType, Position
from tradepit.tools._common import ZERO, resolve_symbol, stale_price
from tradepit.tools._orders import VerdictView, check, estimated_notional
from tradepit.tools.base import Tool, ToolInput
from tradepit.tools.errors import NothingToCloseError
from tradepit.tools.place_order import PlaceOrderOutput, report, submit

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class ClosePositionInput(ToolInput):
    symbol: str


def closing_request(deps: AgentDeps, symbol: str, position: Position | None = None) -> OrderRequest:
    """A market order for the whole position (`position` when already read; its other open
    orders are canceled first, so they do not count); NothingToCloseError when a pending
    market order already closes it."""
    if position is None:
        position = deps.broker.get_position(symbol)
    if position is None or position.qty == 0:
        raise NothingToCloseError(f"no open position in {symbol}")
    closing = sum(
        (
            o.remaining_qty
            for o in deps.broker.list_orders("open")
            if o.symbol == symbol and o.parent_id is None and o.type is OrderType.MARKET
            and o.side is position.side.opposite and o.qty is not None
        ),
        ZERO,
    )  # fmt: skip
    if closing >= abs(position.qty):
        raise NothingToCloseError(f"{symbol} is already being closed by a pending market order")
    return OrderRequest(
        symbol=symbol,
        side=position.side.opposite,
        qty=abs(position.qty),
        client_order_id=deps.client_order_id(symbol, "close"),
    )


def cancel_open_orders(deps: AgentDeps, symbol: str) -> list[Order]:
    """Cancel every open order of `symbol`: entries first (their stop/target legs go with
    them), then the legs of filled entries and any other exit. The canceled orders."""
    mine = [o for o in deps.broker.list_orders("open") if o.symbol == symbol]
    canceled = [deps.broker.cancel_order(o.id) for o in mine if o.parent_id is None]
    if canceled:  # what is still open after its entries went (legs of filled ones)
        mine = [o for o in deps.broker.list_orders("open") if o.symbol == symbol]
    return canceled + [deps.broker.cancel_order(o.id) for o in mine if o.parent_id is not None]


def close_position(deps: AgentDeps, args: ClosePositionInput) -> PlaceOrderOutput:
    """Close a whole position: cancels the symbol's open orders, then a market order for
    what is held (fills at the next bar's open); the broker's state."""
    symbol = resolve_symbol(deps, args.symbol)
    cid = deps.client_order_id(symbol, "close")
    existing = deps.broker.get_order_by_client_id(cid)
    if existing is not None:  # a retry of this cycle's close: report it, never resend
        return report("duplicate", existing, None, None)
    position = deps.broker.get_position(symbol)
    if position is None or position.qty == 0:
        canceled = cancel_open_orders(deps, symbol)
        if not canceled:
            raise NothingToCloseError(f"no open position in {symbol}")
        out = report("canceled", canceled[0], None, None)
        unfilled = ", ".join(
            f"{o.side.value} {o.qty.normalize():f}"
            if o.qty is not None
            else f"{o.side.value} ${o.notional}"
            for o in canceled
            if o.parent_id is None
        )
        return out.model_copy(update={"reason": f"nothing held; canceled unfilled {unfilled}"})
    request = closing_request(deps, symbol, position)
    verdict = check(deps, request, closing=True)
    view = VerdictView.of(verdict, estimated_notional(deps, verdict))
    if not verdict.approved or verdict.adjusted_request is None:
        reason = "; ".join(r.message for r in verdict.reasons if r.blocking)
        return PlaceOrderOutput(outcome="denied_by_risk", reason=reason, risk=view).attach(verdict)
    cancel_open_orders(deps, symbol)
    out = submit(deps, verdict, view, verdict.adjusted_request)
    out.stale = stale_price(deps, symbol)
    return out


TOOL = Tool("close_position", ClosePositionInput, PlaceOrderOutput, close_position, True)
