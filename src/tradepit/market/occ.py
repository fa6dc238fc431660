"""OCC option symbols (``SPY251121P00550000``) and option quote models.

An OCC symbol is the root (1-6 characters; Alpaca writes it without padding), the expiry
as YYMMDD, C or P, and the strike times 1000 as eight digits.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum

from tradepit.domain.models import Frozen, UtcDatetime

_OCC = re.compile(r"^(?P<root>[A-Z0-9.]{1,6}?)\s*(?P<date>\d{6})(?P<kind>[CP])(?P<strike>\d{8})$")
_STRIKE_SCALE = Decimal(1000)
_MAX_STRIKE = Decimal("99999.999")


class OptionKind(StrEnum):
    CALL = "call"
    PUT = "put"


class OccSymbol(Frozen):
    """A parsed OCC option symbol."""

    root: str
    expiry: date
    kind: OptionKind
    strike: Decimal

    @property
    def symbol(self) -> str:
        return build_occ(self.root, self.expiry, self.kind, self.strike)

    def __str__(self) -> str:
        return self.symbol


def parse_occ(symbol: str) -> OccSymbol:
    """Parse ``SPY251121P00550000`` (padded 21-character forms are accepted too);
    ValueError with the expected form otherwise."""
    match = _OCC.match(symbol.strip().upper())
    if match is None:
        raise ValueError(
            f"not an OCC option symbol: {symbol!r} (expected ROOT+YYMMDD+C/P+8-digit strike, "
            "e.g. SPY251121P00550000)"
        )
    text = match.group("date")
    try:
        expiry = date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        raise ValueError(f"OCC symbol {symbol!r} has an invalid expiry {text}") from None
    return OccSymbol(
        root=match.group("root"),
        expiry=expiry,
        kind=OptionKind.CALL if match.group("kind") == "C" else OptionKind.PUT,
        strike=Decimal(match.group("strike")) / _STRIKE_SCALE,
    )


def build_occ(root: str, expiry: date, kind: OptionKind | str, strike: Decimal | float) -> str:
    """The OCC symbol (Alpaca's unpadded form) of a contract."""
    root = root.strip().upper()
    if not re.fullmatch(r"[A-Z0-9.]{1,6}", root):
        raise ValueError(f"option root must be 1-6 letters or digits, got {root!r}")
    value = Decimal(str(strike))
    if value <= 0 or value > _MAX_STRIKE:
        raise ValueError(f"strike must be in (0, {_MAX_STRIKE}], got {strike}")
    scaled = value * _STRIKE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"strike {strike} has more than 3 decimals")
    letter = "C" if OptionKind(str(kind).lower()) is OptionKind.CALL else "P"
    return f"{root}{expiry:%y%m%d}{letter}{int(scaled):08d}"


def is_occ(symbol: str) -> bool:
    return _OCC.match(symbol.strip().upper()) is not None


class Greeks(Frozen):
    delta: float
    gamma: float
    theta: float
    vega: float
    rho: float


class OptionQuote(Frozen):
    """One contract of a chain: its latest quote/trade, implied volatility and greeks
    (None where the source has none, e.g. outside market hours)."""

    contract: OccSymbol
    symbol: str
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    implied_volatility: float | None = None
    greeks: Greeks | None = None
    timestamp: UtcDatetime | None = None
