"""Round trips from fills: a trade runs from flat to flat (a flip closes one and opens the
next). Entry and exit prices are quantity-weighted averages; pnl is net of commissions.
Quantities and money are summed in Decimal, so splitting a reversing fill is exact."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tradepit.backtest.metrics import Trade
from tradepit.domain.models import Fill

ZERO = Decimal(0)


@dataclass
class _Open:
    sign: int
    entry_time: datetime
    qty_in: Decimal = ZERO
    cost_in: Decimal = ZERO
    qty_out: Decimal = ZERO
    value_out: Decimal = ZERO
    commission: Decimal = ZERO
    position: Decimal = ZERO
    exit_time: datetime | None = None

    def close(self, symbol: str) -> Trade:
        entry = self.cost_in / self.qty_in
        exit_ = self.value_out / self.qty_out
        gross = self.sign * (exit_ - entry) * self.qty_out
        return Trade(
            symbol=symbol,
            side="long" if self.sign > 0 else "short",
            qty=float(self.qty_in),
            entry_time=self.entry_time,
            exit_time=self.exit_time or self.entry_time,
            entry_price=float(entry),
            exit_price=float(exit_),
            pnl=float(gross - self.commission),
            commission=float(self.commission),
        )


def trades_from_fills(fills: Iterable[Fill]) -> tuple[list[Trade], dict[str, float]]:
    """Closed trades in exit order, and the signed quantity still open per symbol."""
    open_: dict[str, _Open] = {}
    trades: list[Trade] = []
    for fill in sorted(fills, key=lambda f: f.timestamp):
        remaining, price, sign = fill.qty, fill.price, fill.side.sign
        fee_per_unit = fill.commission / remaining if remaining else ZERO
        while remaining > 0:
            current = open_.get(fill.symbol)
            if current is None or current.position == 0:
                current = open_[fill.symbol] = _Open(sign=sign, entry_time=fill.timestamp)
            if current.sign == sign:
                _add(current, remaining, price, fee_per_unit)
                break
            closing = min(remaining, abs(current.position))
            current.qty_out += closing
            current.value_out += closing * price
            current.commission += closing * fee_per_unit
            current.position -= current.sign * closing
            current.exit_time = fill.timestamp
            remaining -= closing
            if current.position == 0:
                trades.append(current.close(fill.symbol))
                del open_[fill.symbol]
    return trades, {s: float(o.position) for s, o in open_.items()}


def _add(current: _Open, qty: Decimal, price: Decimal, fee_per_unit: Decimal) -> None:
    current.qty_in += qty
    current.cost_in += qty * price
    current.commission += qty * fee_per_unit
    current.position += current.sign * qty
