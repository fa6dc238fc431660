"""place_order: risk gate, then broker. Reports the broker's real order state."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from tradepit.domain.errors import DuplicateClientOrderIdError, OrderRejectedError
from tradepit.domain.models import Order, OrderRequest, OrderStatus, RiskVerdict
from tradepit.tools._common import stale_price
from tradepit.tools._orders import (
    OrderArgs,
    OrderToolOutput,
    OrderView,
    VerdictView,
    build_request,
    check,
    estimated_notional,
)
from tradepit.tools._turn_orders import TurnOrders
from tradepit.tools.base import Tool

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps

log = logging.getLogger(__name__)

Outcome = Literal[
    "submitted", "filled", "denied_by_risk", "rejected_by_broker", "duplicate", "canceled"
]
REFUSED: dict[str, str] = {"denied_by_risk": "denied", "rejected_by_broker": "rejected"}
"""The outcomes of an order that was not sent (or not accepted), with the recorded action."""


class PlaceOrderOutput(OrderToolOutput):
    outcome: Outcome = Field(
        description="submitted = accepted, not filled yet; duplicate = already placed earlier; "
        "canceled = close_position canceled unfilled entries and nothing was held"
    )
    order: OrderView | None = None
    reason: str | None = None
    risk: VerdictView | None = None
    stale: str | None = Field(None, description="Set when the price it was valued at is old")


def submit(
    deps: AgentDeps, verdict: RiskVerdict, view: VerdictView, request: OrderRequest
) -> PlaceOrderOutput:
    """Send an approved `request` and report what the broker answered."""
    try:
        order = deps.broker.submit_order(request)
    except DuplicateClientOrderIdError:
        existing = deps.broker.get_order_by_client_id(request.client_order_id or "")
        if existing is None:
            raise
        return report("duplicate", existing, view, verdict)
    except OrderRejectedError as e:
        log.info("broker rejected %s: %s", request.client_order_id, e)
        out = PlaceOrderOutput(outcome="rejected_by_broker", reason=str(e), risk=view)
        return out.attach(verdict)
    return report(_outcome(order), order, view, verdict)


def _outcome(order: Order) -> Outcome:
    if order.status is OrderStatus.REJECTED:
        return "rejected_by_broker"
    return "filled" if order.status is OrderStatus.FILLED else "submitted"


def report(
    outcome: Outcome, order: Order, view: VerdictView | None, verdict: RiskVerdict | None
) -> PlaceOrderOutput:
    """The broker's order as the tool's answer."""
    out = PlaceOrderOutput(
        outcome=outcome, order=OrderView.of(order), reason=order.reject_reason, risk=view
    )
    return out.attach(verdict, order)


def place_order(deps: AgentDeps, args: OrderArgs) -> PlaceOrderOutput:
    """Place an order after the risk gate (which may resize it and attach a stop-loss and
    take-profit). Returns the broker's real order state; "submitted" = NOT filled yet."""
    request = request_of(deps, args)
    verdict = check(deps, request)
    view = VerdictView.of(verdict, estimated_notional(deps, verdict))
    if not verdict.approved or verdict.adjusted_request is None:
        reason = "; ".join(r.message for r in verdict.reasons if r.blocking)
        return PlaceOrderOutput(outcome="denied_by_risk", reason=reason, risk=view).attach(verdict)
    out = submit(deps, verdict, view, verdict.adjusted_request)
    if out.order is not None and deps.turn_orders is not None:
        deps.turn_orders.sent(request.symbol, args)
    out.stale = stale_price(deps, request.symbol)
    return out


def request_of(deps: AgentDeps, args: OrderArgs) -> OrderRequest:
    """The request `args` would send, its client_order_id leg counted among the turn's
    orders (see `TurnOrders`)."""
    turn = deps.turn_orders if deps.turn_orders is not None else TurnOrders()
    request = build_request(deps, args)
    cid = deps.client_order_id(request.symbol, turn.leg(request.symbol, args))
    return request.model_copy(update={"client_order_id": cid})


TOOL = Tool("place_order", OrderArgs, PlaceOrderOutput, place_order, places_orders=True)
