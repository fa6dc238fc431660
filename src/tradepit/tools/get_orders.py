"""get_orders: orders as the broker reports them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from tradepit.tools._orders import OrderView
from tradepit.tools.base import Tool, ToolInput, ToolOutput

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class GetOrdersInput(ToolInput):
    status: Literal["open", "closed", "all"] = "open"
    limit: int = Field(10, ge=1, le=50, description="Newest first")


class GetOrdersOutput(ToolOutput):
    orders: list[OrderView]
    total: int = Field(description="Matching orders before the limit")


def get_orders(deps: AgentDeps, args: GetOrdersInput) -> GetOrdersOutput:
    """Orders with broker status, fills and bracket stop/target, newest first (working
    legs of filled orders listed on their own)."""
    listed = deps.broker.list_orders(args.status)
    ids = {o.id for o in listed}
    orders = [o for o in listed if o.parent_id is None or o.parent_id not in ids]
    newest = list(reversed(orders))[: args.limit]
    return GetOrdersOutput(orders=[OrderView.of(o) for o in newest], total=len(orders))


TOOL = Tool("get_orders", GetOrdersInput, GetOrdersOutput, get_orders)
