"""Real bundled daily bars for the indicator tests."""

from __future__ import annotations

import pandas as pd
import pytest

from tradepit.market.bundled import load_bundled

OHLCV_SYMBOLS = ("SPX", "IXIC", "MSFT")


@pytest.fixture(scope="session")
def spx() -> pd.DataFrame:
    """S&P 500 daily OHLCV, 1999-2018 (5031 bars)."""
    return load_bundled("SPX")


@pytest.fixture(scope="session", params=OHLCV_SYMBOLS)
def real_bars(request: pytest.FixtureRequest) -> pd.DataFrame:
    """Each bundled real OHLCV series in turn."""
    return load_bundled(request.param)
