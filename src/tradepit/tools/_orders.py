"""Order arguments, the risk check and the compact views of orders and verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field, PrivateAttr, model_validator

from tradepit.domain.models import (
    AssetClass,
    Order,
    OrderRequest,
    OrderType,
    Position,
    RiskVerdict,
    Side,
)
from tradepit.risk import expected_fill_price, order_price, price_tick
from tradepit.tools._common import (
    ZERO,
    last_price,
    market_context,
    net_positions,
    num,
    resolve_symbol,
)
from tradepit.tools.base import ToolInput, ToolOutput
from tradepit.tools.errors import SharesHeldError

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class OrderArgs(ToolInput):
    symbol: str
    side: Literal["buy", "sell"]
    qty: float | None = Field(None, gt=0, description="Shares (or give notional)")
    notional: float | None = Field(None, gt=0, description="Dollar amount instead of qty")
    type: Literal["market", "limit", "stop", "stop_limit"] = "market"
    limit_price: float | None = Field(None, gt=0)
    stop_price: float | None = Field(None, gt=0, description="Trigger of stop orders")
    stop_loss: float | None = Field(None, gt=0)
    take_profit: float | None = Field(None, gt=0)
    stop_loss_pct: float | None = Field(None, gt=0, lt=50, description="Stop % from price")
    take_profit_pct: float | None = Field(None, gt=0, lt=100, description="Target % from price")

    @model_validator(mode="after")
    def _check(self) -> OrderArgs:
        if (self.qty is None) == (self.notional is None):
            raise ValueError("give exactly one of qty or notional")
        if self.stop_loss is not None and self.stop_loss_pct is not None:
            raise ValueError("give stop_loss or stop_loss_pct, not both")
        if self.take_profit is not None and self.take_profit_pct is not None:
            raise ValueError("give take_profit or take_profit_pct, not both")
        return self


def dec(value: float | None) -> Decimal | None:
    """A model's number as a Decimal: whole numbers without a fractional part (100, not 100.0)."""
    if value is None:
        return None
    x = float(value)
    return Decimal(int(x)) if x.is_integer() else Decimal(repr(x))


def tick_round(price: Decimal) -> Decimal:
    """Round to the nearest tick (`price_tick`)."""
    return price.quantize(price_tick(price), rounding=ROUND_HALF_UP)


def build_request(deps: AgentDeps, args: OrderArgs) -> OrderRequest:
    """The OrderRequest for `args` (percent stops turned into prices from the expected fill
    price; stock prices on the tick: a model's 72.6223 is sent as 72.62, as a broker
    refuses sub-penny prices), without a client_order_id (`place_order.request_of` gives
    it one)."""
    symbol = resolve_symbol(deps, args.symbol, trading=True)
    side = Side(args.side)
    on_tick = deps.market.get_asset(symbol).asset_class is not AssetClass.CRYPTO

    def price(value: float | None) -> Decimal | None:
        number = dec(value)
        return tick_round(number) if number is not None and on_tick else number

    request = OrderRequest(
        symbol=symbol,
        side=side,
        qty=dec(args.qty),
        notional=dec(args.notional),
        type=OrderType(args.type),
        limit_price=price(args.limit_price),
        stop_price=price(args.stop_price),
        stop_loss=price(args.stop_loss),
        take_profit=price(args.take_profit),
    )
    if args.stop_loss_pct is None and args.take_profit_pct is None:
        return request
    ref = expected_fill_price(request, last_price(deps, symbol))
    sign = side.sign
    update = {}
    if args.stop_loss_pct is not None:
        update["stop_loss"] = tick_round(ref * (1 - sign * dec(args.stop_loss_pct) / 100))
    if args.take_profit_pct is not None:
        update["take_profit"] = tick_round(ref * (1 + sign * dec(args.take_profit_pct) / 100))
    return OrderRequest.model_validate(request.model_dump() | update)


def check(deps: AgentDeps, request: OrderRequest, *, closing: bool = False) -> RiskVerdict:
    """Run `request` through the gate with the account, positions netted with open orders
    and the market context (prices and daily returns of every symbol involved). Unless it
    is `closing` a whole position (the close cancels the symbol's open orders first, so the
    gate sees none of them), SharesHeldError when it would use shares its position's exit
    legs hold (`check_available`)."""
    account = deps.broker.get_account()
    held, open_orders = deps.broker.get_positions(), deps.broker.list_orders("open")
    if closing:
        open_orders = [o for o in open_orders if o.symbol != request.symbol]
    else:
        check_available(request, held, open_orders)
    positions = net_positions(deps, held, open_orders)
    context = market_context(deps, {request.symbol, *(p.symbol for p in positions)})
    return deps.gate.check(request, account, positions, context, deps.manual_state)


def check_available(
    request: OrderRequest, positions: Sequence[Position], open_orders: Sequence[Order]
) -> None:
    """A reducing order may only use the shares the position's exit legs (stop-loss,
    take-profit) do not hold: a broker refuses more (Alpaca: "insufficient qty available"),
    and a partial sell next to full-size exit legs would leave them to overshoot into the
    other side when they trigger."""
    position = next((p for p in positions if p.symbol == request.symbol), None)
    if position is None or request.qty is None or position.qty * request.side.sign >= 0:
        return
    unfilled = {o.id for o in open_orders if o.parent_id is None and o.filled_qty == 0}
    legs = [  # the exit legs of filled entries: an unfilled entry's legs hold nothing yet
        order
        for order in open_orders
        if order.symbol == request.symbol and order.side is request.side and order.parent_id
        and order.parent_id not in unfilled
    ]  # fmt: skip
    holding: dict[str, Decimal] = {}  # a bracket's two legs hold the same shares
    for leg in legs:
        holding[leg.parent_id] = max(holding.get(leg.parent_id, ZERO), leg.remaining_qty)
    available = abs(position.qty) - sum(holding.values())
    if legs and request.qty > available:
        ids = ", ".join(leg.id for leg in legs)
        raise SharesHeldError(
            f"{num(request.qty):g} {request.symbol} asked, {num(max(available, ZERO)):g} of "
            f"{num(abs(position.qty)):g} available: the rest is held by its exit orders ({ids}); "
            "cancel them or close the position"
        )


_RESIZES = frozenset({
    "resized_max_position", "resized_gross_exposure", "resized_buying_power", "resized_to_close",
})  # fmt: skip


def resize_phrase(code: str, message: str) -> str | None:
    """A gate reason that cut an order's quantity, in words ("cut from 3 to 1 by the risk
    gate: max position 10% of equity, $3,364.72 left at 6635.28"); None for other reasons.
    `message` is the gate's "qty 3 -> 1: <why>"."""
    if code not in _RESIZES:
        return None
    sizes, _, why = message.partition(": ")
    before, _, after = sizes.removeprefix("qty ").partition(" -> ")
    return f"cut from {before} to {after} by the risk gate: {why}"


def estimated_notional(deps: AgentDeps, verdict: RiskVerdict) -> Decimal:
    """Dollar value of what would be sent (the adjusted request when approved), at the
    higher of its own price and where it fills: a sell limit far under the market fills at
    the market, and is worth that much."""
    request = verdict.adjusted_request or verdict.request
    last = last_price(deps, request.symbol)
    ref = max(order_price(request, last), expected_fill_price(request, last))
    if request.qty is not None:
        return (request.qty * ref).quantize(Decimal("0.01"))
    return request.notional or Decimal(0)


class VerdictView(ToolOutput):
    approved: bool
    state: str
    qty: float | None = Field(None, description="Quantity that may be sent")
    stop_loss: float | None = None
    take_profit: float | None = None
    est_notional: float | None = None
    reasons: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, verdict: RiskVerdict, notional: Decimal | None = None) -> VerdictView:
        sent = verdict.adjusted_request
        return cls(
            approved=verdict.approved,
            state=verdict.state.value,
            qty=num(sent.qty) if sent else None,
            stop_loss=num(sent.stop_loss) if sent else None,
            take_profit=num(sent.take_profit) if sent else None,
            est_notional=num(notional, 10),
            reasons=[f"{r.code}: {r.message}" for r in verdict.reasons],
        )


class OrderView(ToolOutput):
    """The broker's state of an order."""

    id: str
    client_order_id: str
    symbol: str
    side: str
    type: str
    qty: float | None
    notional: float | None = None
    status: str
    filled_qty: float
    filled_avg_price: float | None = None
    limit_price: float | None = None
    stop_price: float | None = None
    stop_loss: float | None = None
    take_profit: float | None = None
    parent_id: str | None = None
    reject_reason: str | None = None
    created: str

    @classmethod
    def of(cls, order: Order) -> OrderView:
        legs = {leg.type: leg for leg in order.legs}
        sl, tp = legs.get(OrderType.STOP), legs.get(OrderType.LIMIT)
        return cls(
            id=order.id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side.value,
            type=order.type.value,
            qty=num(order.qty),
            notional=num(order.notional),
            status=order.status.value,
            filled_qty=num(order.filled_qty) or 0.0,
            filled_avg_price=num(order.filled_avg_price),
            limit_price=num(order.limit_price),
            stop_price=num(order.stop_price),
            stop_loss=num(sl.stop_price) if sl else None,
            take_profit=num(tp.limit_price) if tp else None,
            parent_id=order.parent_id,
            reject_reason=order.reject_reason,
            created=order.created_at.isoformat(timespec="minutes"),
        )


class OrderToolOutput(ToolOutput):
    """Base of outputs of order tools: carries the domain verdict and order for the record
    (private attributes, never shown to the model)."""

    _verdict: RiskVerdict | None = PrivateAttr(default=None)
    _order: Order | None = PrivateAttr(default=None)

    def attach(self, verdict: RiskVerdict | None, order: Order | None = None) -> OrderToolOutput:
        self._verdict, self._order = verdict, order
        return self

    @property
    def record_verdict(self) -> RiskVerdict | None:
        return self._verdict

    @property
    def record_order(self) -> Order | None:
        return self._order
