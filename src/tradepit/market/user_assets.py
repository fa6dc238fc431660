"""The Asset of a user's data file: a US equity on XNYS, unless the data or its name says it
trades around the clock (a crypto pair: 24/7 sessions, fractional quantities)."""

from __future__ import annotations

import pandas as pd

from tradepit.domain.models import Asset, AssetClass
from tradepit.market.timeframe import CRYPTO_CALENDAR


def user_asset(symbol: str, frame: pd.DataFrame, calendar: str | None = None) -> Asset:
    """`calendar` when given; else 24/7 for a pair ("BTC/USD") or data that trades on
    Sundays, else XNYS."""
    if calendar is None:
        calendar = CRYPTO_CALENDAR if "/" in symbol or trades_sundays(frame) else "XNYS"
    return asset_on(symbol, calendar)


def asset_on(symbol: str, calendar: str, name: str = "") -> Asset:
    """An asset trading on `calendar`: crypto (fractionable) on 24/7, else a US equity."""
    crypto = calendar == CRYPTO_CALENDAR
    return Asset(
        symbol=symbol,
        name=name,
        asset_class=AssetClass.CRYPTO if crypto else AssetClass.US_EQUITY,
        fractionable=crypto,
        calendar=calendar,
    )


def trades_sundays(frame: pd.DataFrame) -> bool:
    """Whether a bar opens on a Sunday before 20:00 UTC: crypto does; stocks never (their
    after-hours reach Saturday in UTC, not Sunday) and futures open Sunday from 22:00."""
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.empty:
        return False
    return bool(((index.day_of_week == 6) & (index.hour < 20)).any())
