"""Outcomes of decisions over a fixed horizon, known only once the clock has passed it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tradepit.memory.models import Outcome

PriceLookup = Callable[[str, datetime], float | None]
"""(symbol, when) -> the last price at or before `when`, or None when not available yet.
It must be point-in-time: the memory only asks for times the clock has passed."""

_EXPOSURE = {"buy": 1, "long": 1, "cover": 1, "sell": -1, "short": -1, "close": 0, "flat": 0}


def exposure_after(action: str, position_before: int) -> int:
    """The signed exposure a decision leaves: buy +1, sell -1, close 0; `hold` (and any
    other action) keeps the position held before."""
    return _EXPOSURE.get(action.strip().lower(), position_before)


def score(
    action: str,
    position_before: int,
    entry_price: float,
    exit_price: float,
    created_at: datetime,
    known_at: datetime,
) -> Outcome:
    """The outcome of `action` taken at `entry_price`, valued at `exit_price` (`known_at`)."""
    if entry_price <= 0 or exit_price <= 0:
        raise ValueError(f"prices must be positive, got {entry_price} and {exit_price}")
    exposure = exposure_after(action, position_before)
    buy_hold = exit_price / entry_price - 1.0
    realised = exposure * buy_hold
    return Outcome(
        entry_price=entry_price,
        exit_price=exit_price,
        exposure=exposure,
        realised_return=realised,
        buy_hold_return=buy_hold,
        excess_return=realised - buy_hold,
        horizon_days=(known_at - created_at).total_seconds() / 86_400,
        known_at=known_at,
    )
