"""Cash, positions and marks of a paper account.

``equity = cash + sum(qty * mark)``; short positions have negative qty and their proceeds
are in cash. A fill moves cash by ``-(signed qty * price) - commission``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tradepit.domain.models import AssetClass, Position, Side

ZERO = Decimal(0)


@dataclass(slots=True)
class Holding:
    qty: Decimal
    avg_price: Decimal
    asset_class: AssetClass = AssetClass.US_EQUITY


class Ledger:
    """Mutable account state; the broker owns it and serialises access."""

    __slots__ = ("cash", "day", "equity_peak", "holdings", "last_equity", "marks")

    def __init__(self, cash: Decimal) -> None:
        self.cash = cash
        self.last_equity = cash
        self.equity_peak = cash
        self.day: date | None = None
        self.holdings: dict[str, Holding] = {}
        self.marks: dict[str, Decimal] = {}

    def qty(self, symbol: str) -> Decimal:
        holding = self.holdings.get(symbol)
        return holding.qty if holding is not None else ZERO

    def price(self, symbol: str) -> Decimal | None:
        """Last mark; for a holding never marked since a restart, its stored price."""
        return self.marks.get(symbol)

    def apply_fill(
        self,
        symbol: str,
        side: Side,
        qty: Decimal,
        price: Decimal,
        commission: Decimal,
        asset_class: AssetClass,
    ) -> None:
        signed = qty if side is Side.BUY else -qty
        self.cash -= signed * price + commission
        holding = self.holdings.get(symbol)
        if holding is None:
            self.holdings[symbol] = Holding(signed, price, asset_class)
            return
        old = holding.qty
        new = old + signed
        if new == 0:
            del self.holdings[symbol]
        elif old == 0 or (old > 0) == (signed > 0):
            holding.avg_price = (abs(old) * holding.avg_price + qty * price) / abs(new)
        elif (old > 0) != (new > 0):
            holding.avg_price = price  # flipped: the rest is a new position at this price
        holding.qty = new

    def equity(self) -> Decimal:
        equity = self.cash
        marks = self.marks
        for symbol, holding in self.holdings.items():
            equity += holding.qty * marks.get(symbol, holding.avg_price)
        return equity

    def market_values(self) -> tuple[Decimal, Decimal]:
        """(long market value, short market value <= 0)."""
        long_value = short_value = ZERO
        marks = self.marks
        for symbol, holding in self.holdings.items():
            value = holding.qty * marks.get(symbol, holding.avg_price)
            if value > 0:
                long_value += value
            else:
                short_value += value
        return long_value, short_value

    def update_peak(self) -> Decimal:
        equity = self.equity()
        if equity > self.equity_peak:
            self.equity_peak = equity
        return equity

    def position(self, symbol: str) -> Position | None:
        holding = self.holdings.get(symbol)
        if holding is None:
            return None
        return Position(
            symbol=symbol,
            qty=holding.qty,
            avg_entry_price=holding.avg_price,
            market_price=self.marks.get(symbol, holding.avg_price),
            asset_class=holding.asset_class,
        )

    def positions(self) -> list[Position]:
        return [self.position(symbol) for symbol in sorted(self.holdings)]  # type: ignore[misc]

    def restore_position(self, position: Position) -> None:
        if position.qty == 0:
            return
        self.holdings[position.symbol] = Holding(
            position.qty, position.avg_entry_price, position.asset_class
        )
        self.marks.setdefault(position.symbol, position.market_price)
