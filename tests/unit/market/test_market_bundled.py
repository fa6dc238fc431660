"""Bundled real data: every series loads, matches DATA.md and manifest, OHLC consistent."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from tradepit.domain.errors import UnknownSymbolError
from tradepit.domain.models import AssetClass
from tradepit.market.bundled import (
    DATA_DIR,
    bundled_asset,
    bundled_symbols,
    list_bundled,
    load_bundled,
    load_bundled_closes,
)

ROW = re.compile(r"^\| (\S+) \|.*\| (\d+) \| `([\w.]+\.parquet)` \| (\d+) \| `([0-9a-f]{64})` \|$")


def _data_md() -> dict[str, tuple[int, str, str]]:
    rows = {}
    for line in (DATA_DIR / "DATA.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match.group(1)] = (int(match.group(2)), match.group(3), match.group(5))
    return rows


def test_expected_series_are_listed() -> None:
    listed = {s.symbol: s for s in list_bundled()}
    assert {"SPX", "IXIC", "MSFT"} <= set(listed)
    assert not any(listed[s].close_only for s in ("SPX", "IXIC", "MSFT"))
    close_only = [s for s in listed.values() if s.close_only]
    assert len(close_only) == 19  # skfolio's 20 tickers minus MSFT (the OHLCV one wins)
    assert bundled_symbols(ohlcv_only=True) == ["IXIC", "MSFT", "SPX"]


def test_data_md_matches_files() -> None:
    documented = _data_md()
    assert set(documented) == {"SPX", "IXIC", "MSFT", "SP500_CLOSES"}
    for _, file, sha in documented.values():
        assert hashlib.sha256((DATA_DIR / file).read_bytes()).hexdigest() == sha
    for series in list_bundled():
        if not series.close_only:
            rows, file, sha = documented[series.symbol]
            assert (series.rows, series.file, series.sha256) == (rows, file, sha)


@pytest.mark.parametrize("symbol", ["SPX", "IXIC", "MSFT"])
def test_ohlcv_series_is_consistent(symbol: str) -> None:
    frame = load_bundled(symbol)
    meta = next(s for s in list_bundled() if s.symbol == symbol)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert len(frame) == meta.rows
    assert frame.index.name == "timestamp" and str(frame.index.tz) == "UTC"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert (frame.index == frame.index.normalize()).all()  # 00:00 UTC of the trading date
    assert frame.index[0].date() == meta.start and frame.index[-1].date() == meta.end
    assert not frame.isna().any().any()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame[["open", "high", "low", "close"]] > 0).all().all()
    assert (frame["volume"] >= 0).all()
    assert (frame.index.day_of_week < 5).all()


def test_known_values_from_sources() -> None:
    spx = load_bundled("SPX")
    assert spx.index[0].isoformat() == "1999-01-04T00:00:00+00:00"
    assert spx["open"].iloc[0] == pytest.approx(1229.23, abs=0.01)
    assert load_bundled("MSFT")["open"].iloc[0] == pytest.approx(0.0672)


def test_close_only_symbol_returns_close_column() -> None:
    aapl = load_bundled("aapl")
    assert list(aapl.columns) == ["close"]
    assert aapl.attrs["close_only"] is True
    assert len(aapl) == next(s.rows for s in list_bundled() if s.symbol == "AAPL")
    wide = load_bundled_closes()
    assert wide.shape[1] == 20 and "MSFT" in wide.columns
    assert (wide["AAPL"].dropna() == aapl["close"]).all()


def test_loaded_frames_are_copies() -> None:
    first = load_bundled("SPX")
    first.iloc[0, 0] = -1.0
    assert load_bundled("SPX").iloc[0, 0] > 0


def test_unknown_symbol_lists_known() -> None:
    with pytest.raises(UnknownSymbolError) as info:
        load_bundled("NOPE")
    assert "SPX" in info.value.known
    with pytest.raises(UnknownSymbolError):
        bundled_asset("NOPE")


def test_assets() -> None:
    spx = bundled_asset("SPX")
    assert spx.asset_class is AssetClass.INDEX and spx.tradable
    msft = bundled_asset("MSFT")
    assert msft.asset_class is AssetClass.US_EQUITY and not msft.fractionable
    assert msft.calendar == "XNYS"


def test_prices_are_the_published_values_without_float_artifacts() -> None:
    """SPX filled at 2506.850098 (arch's float32 levels) and MSFT at 67.92699999999999."""
    spx, ixic, msft = (load_bundled(s) for s in ("SPX", "IXIC", "MSFT"))
    assert spx["close"].iloc[-1] == 2506.85 and ixic["close"].iloc[-1] == 6635.28
    assert msft.loc["2017-05-01", "open"].item() == 67.927
    for frame, decimals in ((spx, 2), (ixic, 2), (msft, 5)):
        prices = frame[["open", "high", "low", "close"]].to_numpy()
        assert (np.round(prices, decimals) == prices).all()
        assert all(len(repr(float(p)).partition(".")[2]) <= decimals for p in prices.ravel())
