"""Position sizing helpers.

Types, consistently: quantities are `Decimal` (domain money/qty; inputs may be Decimal, int,
str or float, floats via `str`), floored to `step` (whole shares by default; pass e.g.
`Decimal("1e-9")` for fractional assets). Fractions of equity (Kelly) are `float`.
Invalid inputs (non-positive equity, price or distance, probabilities outside 0..1) raise
`ValueError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

import numpy as np

Number = Decimal | int | float | str
WHOLE = Decimal(1)


def _dec(value: Number, name: str) -> Decimal:
    result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not result.is_finite() or result <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return result


def _floor(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def fixed_fractional(
    equity: Number, risk_pct: Number, entry: Number, stop: Number, step: Decimal = WHOLE
) -> Decimal:
    """Quantity that loses `risk_pct` of equity if the stop is hit:
    equity * risk_pct / |entry - stop|. Example: 100000, 0.01, 50, 48 -> 500."""
    distance = abs(_dec(entry, "entry") - _dec(stop, "stop"))
    if distance == 0:
        raise ValueError("entry and stop must differ")
    return _floor(_dec(equity, "equity") * _dec(risk_pct, "risk_pct") / distance, step)


def atr_size(
    equity: Number, risk_pct: Number, atr: Number, atr_mult: Number = 2, step: Decimal = WHOLE
) -> Decimal:
    """Fixed-fractional sizing with the stop `atr_mult` ATRs away:
    equity * risk_pct / (atr * atr_mult). Example: 100000, 0.01, 2.5, 2 -> 200."""
    distance = _dec(atr, "atr") * _dec(atr_mult, "atr_mult")
    return _floor(_dec(equity, "equity") * _dec(risk_pct, "risk_pct") / distance, step)


def kelly_fraction(win_rate: float, payoff: float) -> float:
    """Full Kelly fraction f* = (p(b+1) - 1) / b for win probability p and win/loss ratio b.
    Negative means the bet has negative edge (do not bet)."""
    if not 0.0 <= win_rate <= 1.0:
        raise ValueError(f"win_rate must be in [0, 1], got {win_rate}")
    if not payoff > 0:
        raise ValueError(f"payoff must be positive, got {payoff}")
    return (win_rate * (payoff + 1.0) - 1.0) / payoff


def fractional_kelly(
    trade_pnls: Sequence[float], fraction: float = 0.5, cap: float = 0.25, min_trades: int = 20
) -> float:
    """`fraction` x Kelly estimated from trade P&Ls, clipped to [0, cap].

    p = wins / trades (breakeven trades count as non-wins), b = mean win / mean |loss|.
    Returns 0 with fewer than `min_trades` trades, no wins, or negative edge. With wins and
    no losses b is unbounded and f* tends to p.
    """
    if not 0.0 < fraction <= 1.0 or not 0.0 <= cap <= 1.0:
        raise ValueError("fraction must be in (0, 1] and cap in [0, 1]")
    pnl = np.asarray(trade_pnls, dtype=np.float64)
    pnl = pnl[np.isfinite(pnl)]
    if len(pnl) < min_trades:
        return 0.0
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    if len(wins) == 0:
        return 0.0
    p = len(wins) / len(pnl)
    full = p if len(losses) == 0 else kelly_fraction(p, wins.mean() / -losses.mean())
    return float(min(max(fraction * full, 0.0), cap))
