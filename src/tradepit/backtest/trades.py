"""Round trips from fills: a trade runs from flat to flat (a flip closes one and opens the
next). Entry and exit prices are quantity-weighted averages; pnl is net of commissions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tradepit.backtest.metrics import Trade
from tradepit.domain.models import Fill


@dataclass
class _Open:
    sign: int
    entry_time: datetime
    qty_in: float = 0.0
    cost_in: float = 0.0
    qty_out: float = 0.0
    value_out: float = 0.0
    commission: float = 0.0
    position: float = 0.0
    exit_time: datetime | None = field(default=None)

    def close(self, symbol: str) -> Trade:
        entry = self.cost_in / self.qty_in
        exit_ = self.value_out / self.qty_out
        gross = self.sign * (exit_ - entry) * self.qty_out
        return Trade(
            symbol=symbol,
            side="long" if self.sign > 0 else "short",
            qty=self.qty_in,
            entry_time=self.entry_time,
            exit_time=self.exit_time or self.entry_time,
            entry_price=entry,
            exit_price=exit_,
            pnl=gross - self.commission,
            commission=self.commission,
        )


def trades_from_fills(fills: Iterable[Fill]) -> tuple[list[Trade], dict[str, float]]:
    """Closed trades in exit order, and the signed quantity still open per symbol."""
    open_: dict[str, _Open] = {}
    trades: list[Trade] = []
    for fill in sorted(fills, key=lambda f: f.timestamp):
        remaining = float(fill.qty)
        price, sign = float(fill.price), fill.side.sign
        fee_per_unit = float(fill.commission) / remaining if remaining else 0.0
        while remaining > 1e-12:
            current = open_.get(fill.symbol)
            if current is None or current.position == 0:
                current = open_[fill.symbol] = _Open(sign=sign, entry_time=fill.timestamp)
            if current.sign == sign:
                _add(current, remaining, price, fee_per_unit)
                remaining = 0.0
                continue
            closing = min(remaining, abs(current.position))
            current.qty_out += closing
            current.value_out += closing * price
            current.commission += closing * fee_per_unit
            current.position -= current.sign * closing
            current.exit_time = fill.timestamp
            remaining -= closing
            if abs(current.position) < 1e-12:
                trades.append(current.close(fill.symbol))
                del open_[fill.symbol]
    return trades, {s: o.position for s, o in open_.items()}


def _add(current: _Open, qty: float, price: float, fee_per_unit: float) -> None:
    current.qty_in += qty
    current.cost_in += qty * price
    current.commission += qty * fee_per_unit
    current.position += current.sign * qty
