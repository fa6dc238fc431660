"""State of one paper account: ledger, orders, fills, and the bookkeeping they share.

Ids are deterministic (reproducible replays): orders ``<account>-o<n>``, generated client
order ids ``<account>-c<n>``, fills ``<account>-f<n>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal

from tradepit.broker.paper_config import PaperConfig
from tradepit.broker.paper_fills import commission
from tradepit.broker.paper_ledger import Ledger
from tradepit.broker.paper_orders import WorkingOrder
from tradepit.domain.models import Asset, Fill, OrderStatus, OrderType, Side

ZERO = Decimal(0)
ONE = Decimal(1)


class PaperState:
    """Everything the broker and the bar engine mutate; not thread-safe on its own."""

    def __init__(
        self, config: PaperConfig, account_id: str, assets: Callable[[str], Asset]
    ) -> None:
        self.config = config
        self.account_id = account_id
        self.slip = config.slip
        self.fractional = config.allow_fractional
        self.ledger = Ledger(config.starting_cash)
        self.orders: dict[str, WorkingOrder] = {}
        self.by_client_id: dict[str, WorkingOrder] = {}
        self.groups: dict[str, list[WorkingOrder]] = {}
        """Per symbol: top-level orders that are open or have open legs, in creation order."""
        self.fills: list[Fill] = []
        self.pending_fills: list[Fill] = []
        self.dirty = False
        self.saved_open: set[str] = set()
        """Ids of the top-level orders that were in `groups` at the last save."""
        self.unsaved: set[str] = set()
        """Ids of the top-level orders created since the last save (one can fill at once,
        never joining `groups`, and still has to be saved with its fill)."""
        self.stale: set[str] = set()
        """Symbols whose group may hold finished orders (pruned after the bar)."""
        self.order_seq = 0
        self.fill_seq = 0
        self._assets = assets
        self._asset_cache: dict[str, Asset] = {}

    # -- lookups ---------------------------------------------------------------------------

    def asset(self, symbol: str) -> Asset:
        asset = self._asset_cache.get(symbol)
        if asset is None:
            asset = self._asset_cache[symbol] = self._assets(symbol)
        return asset

    def fractional_in(self, symbol: str) -> bool:
        """Whether `symbol` trades in fractions: the account allows them, or the asset is
        fractionable (crypto), as at Alpaca."""
        return self.fractional or self.asset(symbol).fractionable

    def can_short(self, symbol: str) -> bool:
        return self.config.allow_short and self.asset(symbol).shortable

    def next_order_number(self) -> int:
        self.order_seq += 1
        return self.order_seq

    def open_orders(self) -> Iterator[WorkingOrder]:
        for group in self.groups.values():
            for parent in group:
                if parent.is_open:
                    yield parent
                for leg in parent.legs():
                    if leg.is_open:
                        yield leg

    def register(self, order: WorkingOrder) -> None:
        self.orders[order.id] = order
        self.by_client_id[order.client_order_id] = order
        if order.parent is None and order.group_open():
            self.groups.setdefault(order.symbol, []).append(order)

    def created(self, order: WorkingOrder) -> None:
        """Register a new order (not a restored one): it is saved at the next save."""
        self.register(order)
        if order.parent is None:
            self.unsaved.add(order.id)

    def prune(self, symbol: str) -> None:
        self.stale.discard(symbol)
        group = self.groups.get(symbol)
        if group is None:
            return
        group[:] = [order for order in group if order.group_open()]
        if not group:
            del self.groups[symbol]

    # -- state changes ---------------------------------------------------------------------

    def commission(self, qty: Decimal, price: Decimal) -> Decimal:
        c = self.config
        return commission(qty, price, c.commission_per_share, c.commission_pct, c.min_commission)

    def record_fill(
        self, order: WorkingOrder, qty: Decimal, price: Decimal, when: datetime
    ) -> Fill:
        """Book a fill of `order` into the ledger and the order, and sync bracket legs."""
        fee = self.commission(qty, price)
        self.ledger.apply_fill(
            order.symbol, order.side, qty, price, fee, self.asset(order.symbol).asset_class
        )
        order.filled_qty += qty
        order.filled_value += qty * price
        if order.parent is not None or order.remaining > 0:
            order.status = OrderStatus.PARTIALLY_FILLED  # legs are finalised by sync_legs
        else:
            order.status = OrderStatus.FILLED
        order.touch(when)
        self.fill_seq += 1
        fill = Fill(
            id=f"{self.account_id}-f{self.fill_seq}",
            order_id=order.id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            qty=qty,
            price=price,
            commission=fee,
            timestamp=when,
        )
        self.fills.append(fill)
        self.pending_fills.append(fill)
        self.dirty = True
        self.stale.add(order.symbol)
        parent = order.parent if order.parent is not None else order
        if parent.take_profit is not None or parent.stop_loss is not None:
            self.sync_legs(parent, when)
        return fill

    def close(
        self, order: WorkingOrder, status: OrderStatus, when: datetime, reason: str | None = None
    ) -> None:
        """Move an open order to a final status (its legs follow via `sync_legs`)."""
        order.status = status
        if reason is not None:
            order.reject_reason = reason
        order.touch(when)
        self.dirty = True
        self.stale.add(order.symbol)
        if order.take_profit is not None or order.stop_loss is not None:
            self.sync_legs(order, when)

    def sync_legs(self, parent: WorkingOrder, when: datetime) -> None:
        """Legs share the open exit quantity; when the bracket is flat and the parent done,
        legs that traded end FILLED, the others CANCELED."""
        legs = parent.legs()
        open_exit = parent.filled_qty - sum((leg.filled_qty for leg in legs), ZERO)
        done = open_exit <= 0 and not parent.is_open
        for leg in legs:
            if not leg.is_open:
                continue
            if done:  # a canceled leg keeps its last working size, like Alpaca shows it
                leg.status = OrderStatus.FILLED if leg.filled_qty > 0 else OrderStatus.CANCELED
                if leg.filled_qty > 0:
                    leg.qty = leg.filled_qty
            else:
                leg.qty = leg.filled_qty + open_exit
                if parent.filled_qty > 0:
                    leg.status = (
                        OrderStatus.PARTIALLY_FILLED if leg.filled_qty > 0 else OrderStatus.ACCEPTED
                    )
            leg.touch(when)
        self.dirty = True

    # -- buying power ----------------------------------------------------------------------

    def reference_price(
        self, order_type: OrderType, limit: Decimal | None, stop: Decimal | None, symbol: str
    ) -> Decimal | None:
        """Price used to value an order at submit: the limit for limit types, else the last
        mark (for stops at least the stop) with slippage; None when nothing is known."""
        if order_type is OrderType.LIMIT or order_type is OrderType.STOP_LIMIT:
            return limit
        mark = self.ledger.marks.get(symbol)
        base = mark
        if order_type is OrderType.STOP and (mark is None or stop > mark):  # type: ignore[operator]
            base = stop
        return None if base is None else base * (ONE + self.slip)

    def exposure_increase(self, position: Decimal, side: Side, qty: Decimal) -> Decimal:
        signed = qty if side is Side.BUY else -qty
        return max(ZERO, abs(position + signed) - abs(position))

    def projection(self) -> tuple[Decimal, dict[str, Decimal]]:
        """(value reserved by open exposure-increasing orders, projected position per symbol).

        Open top-level orders are applied in creation order to the position; legs only
        reduce exposure and reserve nothing."""
        reserved = ZERO
        projected: dict[str, Decimal] = {}
        for symbol, group in self.groups.items():
            position = self.ledger.qty(symbol)
            for order in group:
                if not order.is_open:
                    continue
                price = self.reference_price(
                    order.type, order.limit_price, order.stop_price, symbol
                )
                if price is None or price <= 0:
                    continue
                qty = order.remaining if order.qty is not None else order.notional / price  # type: ignore[operator]
                increase = self.exposure_increase(position, order.side, qty)
                if increase > 0:
                    reserved += increase * price + self.commission(qty, price)
                position += qty if order.side is Side.BUY else -qty
            projected[symbol] = position
        return reserved, projected

    def buying_power(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(buying power, equity, long market value, short market value)."""
        long_value, short_value = self.ledger.market_values()
        equity = self.ledger.cash + long_value + short_value
        reserved = self.projection()[0] if self.groups else ZERO
        power = equity * self.config.max_leverage - (long_value - short_value) - reserved
        return max(ZERO, power), equity, long_value, short_value
