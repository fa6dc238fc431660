"""Fill rules of the paper broker: pure functions on one bar (the vector engine mirrors them).

Conventions: ``bar.timestamp`` is the bar's open time; ``slip = slippage_bps / 1e4``.

1. No look-ahead: an order created at T is eligible only for bars with ``timestamp >= T``.
   A backtest submits at the close of bar t (``ts[t] + 1 bar``), so it fills on bar t+1.
2. Market: fills at the open, buy ``open * (1 + slip)``, sell ``open * (1 - slip)``.
3. Limit buy: ``open <= limit`` -> open; elif ``low <= limit`` -> limit. Limit sell:
   ``open >= limit`` -> open; elif ``high >= limit`` -> limit. No slippage.
4. Stop buy: ``open >= stop`` -> open (gap); elif ``high >= stop`` -> stop; then buy slippage.
   Stop sell: ``open <= stop`` -> open; elif ``low <= stop`` -> stop; then sell slippage.
5. Stop-limit: triggers like a stop at ``p`` (open if gapped, else the stop), no slippage.
   It fills at ``p`` when ``p`` is within the limit (buy ``p <= limit``, sell ``p >= limit``);
   otherwise it rests as a plain limit order from the next bar on.
6. Brackets / OTO: the legs (take-profit = limit, stop-loss = stop, opposite side) become
   active when the parent fills and are checked on the same bar right after it, stop-loss
   first (if both could fill, the stop wins). Legs are OCO and share the open quantity
   ``parent.filled - tp.filled - sl.filled``; a leg never trades more than the position it
   closes (nothing left -> the bracket ends). Legs are GTC.
7. Volume cap: all fills of one symbol in one bar together take at most
   ``max_volume_share * volume`` (floored to whole shares unless fractional); the rest waits
   for later bars (IOC: canceled; FOK: nothing fills, canceled). Volume 0 or NaN: no cap.
8. Commission per fill: ``max(min_commission, per_share * qty + pct * qty * price)``.
9. Notional orders: ``qty = notional / fill price`` at the first fill, floored to whole shares
   (or to 1e-9 when fractional); 0 -> the order is rejected.
10. DAY orders live for one session: the UTC date of the first eligible bar of their symbol.
    They expire before a bar of a later date is processed (or on ``new_session``).
    IOC/FOK orders get their first eligible bar only.
11. Within a bar, orders of the symbol are worked in creation order (a bracket's legs right
    after their parent). Fills are stamped with the bar's timestamp.
12. Without shorting (config or asset), a sell fill is cut to the long position; an order
    with nothing left to sell is canceled.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal

from tradepit.domain.models import OrderType, Side

ZERO = Decimal(0)
ONE = Decimal(1)
FRACTION_QUANTUM = Decimal("1e-9")


def market_fill(side: Side, open_: Decimal, slip: Decimal) -> Decimal:
    """Rule 2: the open, moved against the trader by the slippage (none: the open as it
    is, not 63.980 for 63.98 times a slippage factor of 1.0)."""
    if not slip:
        return open_
    return open_ * (ONE + slip) if side is Side.BUY else open_ * (ONE - slip)


def limit_fill(
    side: Side, open_: Decimal, high: Decimal, low: Decimal, limit: Decimal
) -> Decimal | None:
    """Rule 3: the open when it is already at or better than the limit, else the limit."""
    if side is Side.BUY:
        if open_ <= limit:
            return open_
        return limit if low <= limit else None
    if open_ >= limit:
        return open_
    return limit if high >= limit else None


def stop_trigger(
    side: Side, open_: Decimal, high: Decimal, low: Decimal, stop: Decimal
) -> Decimal | None:
    """The price at which a stop triggers (open on a gap, else the stop), or None."""
    if side is Side.BUY:
        if open_ >= stop:
            return open_
        return stop if high >= stop else None
    if open_ <= stop:
        return open_
    return stop if low <= stop else None


def stop_fill(
    side: Side, open_: Decimal, high: Decimal, low: Decimal, stop: Decimal, slip: Decimal
) -> Decimal | None:
    """Rule 4: the trigger price with slippage."""
    trigger = stop_trigger(side, open_, high, low, stop)
    return None if trigger is None else market_fill(side, trigger, slip)


def stop_limit_fill(
    side: Side, open_: Decimal, high: Decimal, low: Decimal, stop: Decimal, limit: Decimal
) -> tuple[Decimal | None, bool]:
    """Rule 5: ``(fill price or None, triggered)``; triggered without a price -> rest as limit."""
    trigger = stop_trigger(side, open_, high, low, stop)
    if trigger is None:
        return None, False
    within = trigger <= limit if side is Side.BUY else trigger >= limit
    return (trigger if within else None), True


def match(
    order_type: OrderType,
    side: Side,
    open_: Decimal,
    high: Decimal,
    low: Decimal,
    limit: Decimal | None,
    stop: Decimal | None,
    slip: Decimal,
) -> tuple[Decimal | None, bool]:
    """Fill price for one order on one bar: ``(price or None, stop-limit triggered)``."""
    if order_type is OrderType.MARKET:
        return market_fill(side, open_, slip), False
    if order_type is OrderType.LIMIT:
        return limit_fill(side, open_, high, low, limit), False  # type: ignore[arg-type]
    if order_type is OrderType.STOP:
        return stop_fill(side, open_, high, low, stop, slip), False  # type: ignore[arg-type]
    return stop_limit_fill(side, open_, high, low, stop, limit)  # type: ignore[arg-type]


def commission(
    qty: Decimal, price: Decimal, per_share: Decimal, pct: Decimal, minimum: Decimal
) -> Decimal:
    """Rule 8: commission of one fill."""
    return max(minimum, per_share * qty + pct * qty * price)


def round_qty(qty: Decimal, fractional: bool) -> Decimal:
    """Whole shares (floor) or, when fractional, 1e-9 rounded down."""
    if fractional:
        return qty.quantize(FRACTION_QUANTUM, rounding=ROUND_DOWN)
    return qty.to_integral_value(rounding=ROUND_FLOOR)


def volume_cap(volume: Decimal, share: Decimal | None, fractional: bool) -> Decimal | None:
    """Rule 7: the quantity one symbol may trade in one bar; None = no cap."""
    if share is None or not volume.is_finite() or volume <= 0:
        return None
    return round_qty(share * volume, fractional)


def notional_qty(notional: Decimal, price: Decimal, fractional: bool) -> Decimal:
    """Rule 9: quantity bought by `notional` at `price` (may be 0)."""
    return round_qty(notional / price, fractional)
