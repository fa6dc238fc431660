"""The situation of a decision: a brief text for recall and a numeric vector for similar setups.

The vector (`SITUATION_FEATURES`, fixed order, each in [-1, 1], 0 when unknown):

- `rsi`: (RSI14 - 50) / 50
- `macd`: tanh(MACD histogram as % of price / 0.5)
- `trend`: Supertrend direction (+1 up, -1 down)
- `ret5`: tanh(5-bar return / 5 %)
- `ret20`: tanh(20-bar return / 10 %)
- `vol`: tanh(ATR14 as % of price / 2 % - 1) (above 0: more volatile than 2 % a day)

Distances between vectors are Euclidean (the setup collection uses l2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

import numpy as np
import pandas as pd

from tradepit.domain.models import Frozen, UtcDatetime
from tradepit.market.arrays import float_columns

SITUATION_FEATURES = ("rsi", "macd", "trend", "ret5", "ret20", "vol")
HISTORY_BARS = 250
"""Bars `from_bars` is meant to get: the indicators' warm-up plus the 20-bar return."""


class ViewLike(Protocol):
    """What `Situation.from_view` reads (`tradepit.agent.snapshot.SymbolView` fits)."""

    symbol: str
    bar_time: object
    close: Decimal
    rsi14: float | None
    macd_hist: float | None
    supertrend_dir: int | None
    atr14: float | None


class Situation(Frozen):
    """Symbol, time, price and indicators when a decision was made. `position` is the signed
    exposure held before the decision (+1 long, -1 short, 0 flat)."""

    symbol: str
    at: UtcDatetime
    price: float
    rsi14: float | None = None
    macd_hist: float | None = None
    supertrend_dir: int | None = None
    ret_5d: float | None = None
    ret_20d: float | None = None
    atr_pct: float | None = None
    """ATR14 / price (0.02 = 2 %)."""
    position: int = 0

    @classmethod
    def from_view(
        cls, view: ViewLike, closes: Sequence[float] | None = None, position: float = 0
    ) -> Situation:
        """From a snapshot's symbol view; `closes` (oldest first, ending at the view's bar)
        give the 5- and 20-bar returns."""
        price = float(view.close)
        c = np.asarray(closes if closes is not None else (), np.float64)

        def ret(n: int) -> float | None:
            return float(c[-1] / c[-1 - n] - 1) if len(c) > n and c[-1 - n] > 0 else None

        atr = view.atr14
        return cls(
            symbol=view.symbol,
            at=view.bar_time,
            price=price,
            rsi14=view.rsi14,
            macd_hist=view.macd_hist,
            supertrend_dir=view.supertrend_dir,
            ret_5d=ret(5),
            ret_20d=ret(20),
            atr_pct=atr / price if atr is not None and price > 0 else None,
            position=int(np.sign(position)),
        )

    @classmethod
    def from_bars(cls, symbol: str, bars: pd.DataFrame, position: float = 0) -> Situation:
        """From completed bars (oldest first; `high`, `low`, `close` columns, indexed by
        open time; ideally `HISTORY_BARS` of them): RSI14, MACD(12, 26, 9) histogram,
        Supertrend(10, 3) direction, ATR14 and the 5- and 20-bar returns on the last bar,
        the same indicators as the agent's market snapshot. ValueError without bars."""
        from tradepit import indicators

        if bars.empty:
            raise ValueError(f"no bars of {symbol} to describe a situation")
        h, low, c = float_columns(bars, ("high", "low", "close"))
        direction = indicators.supertrend(h, low, c, 10, 3.0)[1][-1]
        price = float(c[-1])
        atr = _finite(indicators.atr(h, low, c, 14)[-1])

        def ret(n: int) -> float | None:
            return float(c[-1] / c[-1 - n] - 1) if len(c) > n and c[-1 - n] > 0 else None

        return cls(
            symbol=symbol,
            at=pd.Timestamp(bars.index[-1]).to_pydatetime(),
            price=price,
            rsi14=_finite(indicators.rsi(c, 14)[-1]),
            macd_hist=_finite(indicators.macd(c)[2][-1]),
            supertrend_dir=None if np.isnan(direction) else int(direction),
            ret_5d=ret(5),
            ret_20d=ret(20),
            atr_pct=atr / price if atr is not None and price > 0 else None,
            position=int(np.sign(position)),
        )

    def vector(self) -> list[float]:
        """The numeric situation vector (see the module docstring)."""
        p = self.price if self.price > 0 else math.nan

        def squash(x: float | None, scale: float, shift: float = 0.0) -> float:
            if x is None or not math.isfinite(x / scale):
                return 0.0
            return math.tanh(x / scale - shift)

        rsi = 0.0 if self.rsi14 is None else max(-1.0, min(1.0, (self.rsi14 - 50) / 50))
        macd = None if self.macd_hist is None else 100 * self.macd_hist / p
        trend = float(np.sign(self.supertrend_dir or 0))
        return [
            rsi,
            squash(macd, 0.5),
            trend,
            squash(self.ret_5d, 0.05),
            squash(self.ret_20d, 0.10),
            squash(self.atr_pct, 0.02, 1.0),
        ]

    def brief(self) -> str:
        """One line for the journal text, e.g. "price 101.5; RSI 72 (overbought); ..."."""
        parts = [f"price {self.price:.6g}"]
        if self.rsi14 is not None:
            parts.append(f"RSI {self.rsi14:.0f} ({rsi_state(self.rsi14)})")
        if self.macd_hist is not None:
            momentum = "rising" if self.macd_hist > 0 else "falling"
            parts.append(f"MACD hist {self.macd_hist:+.3g} ({momentum} momentum)")
        if self.supertrend_dir:
            parts.append(f"Supertrend {'up' if self.supertrend_dir > 0 else 'down'}")
        for label, value in (("5d", self.ret_5d), ("20d", self.ret_20d)):
            if value is not None:
                parts.append(f"{label} {100 * value:+.1f}%")
        if self.atr_pct is not None:
            parts.append(f"ATR {100 * self.atr_pct:.1f}%")
        held = {1: "long", -1: "short"}.get(self.position, "flat")
        parts.append(f"held {held}")
        return "; ".join(parts)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def rsi_state(rsi: float) -> str:
    if rsi >= 70:
        return "overbought"
    if rsi <= 30:
        return "oversold"
    return "neutral"
