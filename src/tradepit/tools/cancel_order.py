"""cancel_order: cancel an open order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from tradepit.tools._orders import OrderToolOutput, OrderView
from tradepit.tools.base import Tool, ToolInput

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class CancelOrderInput(ToolInput):
    order_id: str = Field(description="Order id from get_orders")


class CancelOrderOutput(OrderToolOutput):
    order: OrderView


def cancel_order(deps: AgentDeps, args: CancelOrderInput) -> CancelOrderOutput:
    """Cancel an open order; returns its state as the broker reports it afterwards."""
    order = deps.broker.cancel_order(args.order_id.strip())
    return CancelOrderOutput(order=OrderView.of(order)).attach(None, order)


TOOL = Tool("cancel_order", CancelOrderInput, CancelOrderOutput, cancel_order)
