"""Seeded synthetic OHLCV: geometric Brownian motion with Markov regime switches.

Synthetic data is always labelled: symbols start with "SYN-" and frames carry
``attrs["synthetic"] = True`` (see `is_synthetic`). Never mix it into real data silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradepit.domain.models import Asset
from tradepit.market.timeframe import (
    CRYPTO_CALENDAR,
    DAY,
    WEEK,
    annualisation_factor,
    parse_timeframe,
)
from tradepit.market.user_assets import asset_on

PREFIX = "SYN-"
SESSION_OPEN_UTC = pd.Timedelta(hours=14, minutes=30)
SESSION_LENGTH = pd.Timedelta(hours=6, minutes=30)


@dataclass(frozen=True)
class Regime:
    """Annualised drift and volatility of one market regime."""

    name: str
    drift: float
    volatility: float


BULL = Regime("bull", 0.20, 0.15)
BEAR = Regime("bear", -0.30, 0.35)
SIDEWAYS = Regime("sideways", 0.0, 0.10)
DEFAULT_REGIMES = (BULL, BEAR, SIDEWAYS)
DEFAULT_TRANSITIONS = np.array([[0.0, 0.3, 0.7], [0.5, 0.0, 0.5], [0.6, 0.4, 0.0]])
"""Where a regime goes when it ends (rows: from, columns: to; the diagonal is unused)."""


def synthetic_symbol(name: str | int) -> str:
    """ "1" -> "SYN-1"; already prefixed names are kept."""
    text = str(name)
    return text if text.startswith(PREFIX) else f"{PREFIX}{text}"


def is_synthetic(frame: pd.DataFrame) -> bool:
    """True for frames made here (their ``attrs["synthetic"]`` label)."""
    return bool(frame.attrs.get("synthetic", False))


def synthetic_asset(symbol: str, calendar: str = "XNYS") -> Asset:
    return asset_on(synthetic_symbol(symbol), calendar, name="synthetic series")


def bar_times(
    start: str | pd.Timestamp, bars: int, timeframe: str, calendar: str
) -> pd.DatetimeIndex:
    """Open times: continuous for "24/7"; weekly bars on Mondays; otherwise weekdays (and
    14:30-21:00 UTC intraday).

    The equity session is a fixed UTC window; holidays and DST are ignored (synthetic data).
    """
    delta = parse_timeframe(timeframe)
    first = pd.Timestamp(start)
    first = first.tz_localize("UTC") if first.tz is None else first.tz_convert("UTC")
    if calendar == CRYPTO_CALENDAR:
        return pd.date_range(first, periods=bars, freq=delta, unit="ns")
    if delta % WEEK == pd.Timedelta(0):
        day = first.ceil("D")
        monday = day + pd.Timedelta(days=(7 - day.day_of_week) % 7)
        return pd.date_range(monday, periods=bars, freq=delta, unit="ns")
    if delta >= DAY:
        step = max(1, round(delta / DAY))
        days = pd.bdate_range(first.ceil("D"), periods=bars * step, tz="UTC", unit="ns")
        return days[::step][:bars]
    per_day = int(np.ceil(SESSION_LENGTH / delta))
    days = pd.bdate_range(first.normalize(), periods=bars // per_day + 2, tz="UTC", unit="ns")
    offsets = (SESSION_OPEN_UTC + pd.to_timedelta(np.arange(per_day) * delta)).to_numpy()
    grid = (days.tz_localize(None).to_numpy()[:, None] + offsets[None, :]).ravel()
    grid = grid[grid >= first.tz_localize(None).to_datetime64()]
    return pd.DatetimeIndex(grid[:bars]).tz_localize("UTC")


def regime_path(
    bars: int, rng: np.random.Generator, mean_duration: float, transitions: np.ndarray
) -> np.ndarray:
    """Regime index per bar: segments with geometric lengths (mean `mean_duration` bars)."""
    path = np.empty(bars, dtype=np.int64)
    position, state = 0, int(rng.integers(len(transitions)))
    while position < bars:
        length = int(rng.geometric(min(1.0, 1.0 / max(mean_duration, 1.0))))
        path[position : position + length] = state
        position += length
        weights = transitions[state].copy()
        weights[state] = 0.0
        state = int(rng.choice(len(weights), p=weights / weights.sum()))
    return path


def synthetic_ohlcv(
    symbol: str | int = 1,
    *,
    bars: int = 1000,
    timeframe: str = "1Day",
    start: str | pd.Timestamp = "2020-01-01",
    seed: int = 0,
    start_price: float = 100.0,
    calendar: str = "XNYS",
    regimes: tuple[Regime, ...] = DEFAULT_REGIMES,
    transitions: np.ndarray = DEFAULT_TRANSITIONS,
    mean_regime_days: float = 60.0,
    include_regime: bool = False,
) -> pd.DataFrame:
    """A labelled synthetic OHLCV frame. The same arguments always give the same frame.

    Open is the previous close plus a small gap; high/low envelope open and close; volume
    rises with the size of the move. `include_regime` adds the regime name per bar.
    """
    if bars <= 0:
        raise ValueError("bars must be positive")
    if len(transitions) != len(regimes):
        raise ValueError("transitions must be square with one row per regime")
    rng = np.random.default_rng(seed)
    per_year = annualisation_factor(calendar, timeframe)
    per_day = per_year / (365 if calendar == CRYPTO_CALENDAR else 252)
    dt = 1.0 / per_year
    states = regime_path(bars, rng, mean_regime_days * per_day, np.asarray(transitions, float))
    drift = np.array([r.drift for r in regimes])[states]
    vol = np.array([r.volatility for r in regimes])[states]
    step = vol * np.sqrt(dt)
    body = (drift - 0.5 * vol**2) * dt + step * rng.standard_normal(bars)
    gap = 0.1 * step * rng.standard_normal(bars)
    gap[0] = 0.0
    close = start_price * np.exp(np.cumsum(gap + body))
    opens = close * np.exp(-body)
    wick_up = np.abs(0.5 * step * rng.standard_normal(bars))
    wick_down = np.abs(0.5 * step * rng.standard_normal(bars))
    surprise = np.abs(body) / step
    volume = np.round(1e6 / per_day * np.exp(0.3 * rng.standard_normal(bars)) * (1 + surprise))
    frame = pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, close) * np.exp(wick_up),
            "low": np.minimum(opens, close) * np.exp(-wick_down),
            "close": close,
            "volume": volume,
        },
        index=bar_times(start, bars, timeframe, calendar).rename("timestamp"),
    )
    if include_regime:
        frame["regime"] = np.array([r.name for r in regimes])[states]
    frame.attrs.update(
        synthetic=True, symbol=synthetic_symbol(symbol), seed=seed, calendar=calendar
    )
    return frame


def synthetic_universe(count: int, *, seed: int = 0, **kwargs: object) -> dict[str, pd.DataFrame]:
    """`count` independent labelled series SYN-1..SYN-n; series i uses seed (seed, i)."""
    out = {}
    for i in range(1, count + 1):
        child = int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
        out[synthetic_symbol(i)] = synthetic_ohlcv(i, seed=child, **kwargs)  # type: ignore[arg-type]
    return out
