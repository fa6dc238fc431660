"""Bar processing: applies the rules of `paper_fills` to the working orders of one symbol."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tradepit.broker.paper_fills import match, notional_qty, volume_cap
from tradepit.broker.paper_orders import WorkingOrder
from tradepit.broker.paper_state import PaperState
from tradepit.domain.models import Bar, Fill, OrderStatus, OrderType, Side, TimeInForce

ZERO = Decimal(0)
_IMMEDIATE = (TimeInForce.IOC, TimeInForce.FOK)


class _BarRun:
    """One bar being processed: the bar, its UTC date, the fills, and the volume budget
    left (computed on the first fill; None = no cap)."""

    __slots__ = ("_budget", "_capped", "bar", "day", "fills", "fractional", "share")

    def __init__(self, bar: Bar, day: date, share: Decimal | None, fractional: bool) -> None:
        self.bar, self.day, self.share, self.fractional = bar, day, share, fractional
        self.fills: list[Fill] = []
        self._budget: Decimal | None = None
        self._capped = False

    def budget(self) -> Decimal | None:
        if not self._capped:
            self._budget = volume_cap(self.bar.volume, self.share, self.fractional)
            self._capped = True
        return self._budget

    def limit(self, qty: Decimal) -> Decimal:
        budget = self.budget()
        return qty if budget is None else min(qty, budget)

    def consume(self, qty: Decimal) -> None:
        if self._budget is not None:
            self._budget -= qty


def process_bar(state: PaperState, bar: Bar, day: date) -> list[Fill]:
    """Work every open order of ``bar.symbol`` against `bar`, in creation order."""
    group = state.groups.get(bar.symbol)
    if not group:
        return []
    run = _BarRun(bar, day, state.config.max_volume_share, state.fractional_in(bar.symbol))
    for parent in group:  # nothing is added to a group while a bar is processed
        if parent.is_open:
            _work_order(state, parent, run)
        if parent.filled_qty > 0 and (parent.take_profit or parent.stop_loss):
            _work_legs(state, parent, run)
    if bar.symbol in state.stale:
        state.prune(bar.symbol)
    return run.fills


def expire_day_orders(state: PaperState, day: date, when: datetime) -> None:
    """End DAY orders whose session (first eligible bar's date) is before `day`."""
    stale = [
        order
        for group in state.groups.values()
        for order in group
        if order.time_in_force is TimeInForce.DAY
        and order.is_open
        and order.session_day is not None
        and order.session_day < day
    ]  # legs are GTC: only top-level orders can be DAY
    for order in stale:
        state.close(order, OrderStatus.EXPIRED, when)
    for symbol in {order.symbol for order in stale}:
        state.prune(symbol)


def _work_order(state: PaperState, order: WorkingOrder, run: _BarRun) -> None:
    bar = run.bar
    when = bar.timestamp
    if when < order.created_at:
        return  # no look-ahead: the bar began before the order existed
    if order.time_in_force is TimeInForce.DAY:
        if order.session_day is None:
            order.session_day = run.day
            order.touch(when)
            state.dirty = True
        elif run.day > order.session_day:
            state.close(order, OrderStatus.EXPIRED, when)
            return
    price, triggered = match(
        order.type,
        order.side,
        bar.open,
        bar.high,
        bar.low,
        order.limit_price,
        order.stop_price,
        state.slip,
    )
    if price is None:
        if triggered:
            order.type = OrderType.LIMIT  # stop-limit rests as a limit from the next bar
            order.touch(when)
            state.dirty = True
        if order.time_in_force in _IMMEDIATE:
            state.close(order, OrderStatus.CANCELED, when)
        return
    if order.qty is None:
        qty = notional_qty(order.notional, price, run.fractional)  # type: ignore[arg-type]
        if qty <= 0:
            reason = f"notional {order.notional} buys no unit at {price}"
            state.close(order, OrderStatus.REJECTED, when, reason)
            return
        order.qty = qty
        order.touch(when)
    _execute(state, order, price, run)


def _execute(state: PaperState, order: WorkingOrder, price: Decimal, run: _BarRun) -> None:
    """Fill as much as the volume budget (and, without shorting, the position) allows."""
    when = run.bar.timestamp
    wanted = order.remaining
    qty = wanted
    if order.side is Side.SELL and not state.can_short(order.symbol):
        qty = min(qty, max(ZERO, state.ledger.qty(order.symbol)))
        if qty <= 0:
            reason = "nothing to sell and shorting is not allowed"
            state.close(order, OrderStatus.CANCELED, when, reason)
            return
    qty = run.limit(qty)
    if order.time_in_force is TimeInForce.FOK and qty < wanted:
        state.close(order, OrderStatus.CANCELED, when, "fill-or-kill could not fill in full")
        return
    if qty > 0:
        run.fills.append(state.record_fill(order, qty, price, when))
        run.consume(qty)
    if order.is_open and order.time_in_force in _IMMEDIATE:
        state.close(order, OrderStatus.CANCELED, when)


def _work_legs(state: PaperState, parent: WorkingOrder, run: _BarRun) -> None:
    """Stop-loss first, then take-profit, each up to the open exit quantity and the position."""
    bar = run.bar
    for leg in (parent.stop_loss, parent.take_profit):
        if leg is None or not leg.is_open:
            continue
        open_exit = leg.remaining
        if open_exit <= 0:
            continue
        price, _ = match(
            leg.type,
            leg.side,
            bar.open,
            bar.high,
            bar.low,
            leg.limit_price,
            leg.stop_price,
            state.slip,
        )
        if price is None:
            continue
        position = state.ledger.qty(leg.symbol)
        closable = position if leg.side is Side.SELL else -position
        if closable <= 0:
            _end_bracket(state, parent, bar.timestamp)
            return
        qty = run.limit(min(open_exit, closable))
        if qty > 0:
            run.fills.append(state.record_fill(leg, qty, price, bar.timestamp))
            run.consume(qty)
            if state.ledger.qty(leg.symbol) == 0 and not parent.is_open:
                # The leg closed the whole position (it may have been sized for more, e.g.
                # after a reversing entry): nothing is left to protect.
                _end_bracket(state, parent, bar.timestamp)
                return


def _end_bracket(state: PaperState, parent: WorkingOrder, when: datetime) -> None:
    for leg in parent.legs():
        if leg.is_open:
            state.close(leg, OrderStatus.CANCELED, when, "position already closed")
