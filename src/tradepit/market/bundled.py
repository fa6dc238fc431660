"""Real daily market data shipped in the package (see data/DATA.md for provenance).

OHLCV series: SPX, IXIC (indexes, from arch) and MSFT (from pmdarima). Close-only series:
20 S&P 500 stocks' adjusted closes (from skfolio). For a close-only symbol `load_bundled`
returns a frame with a single `close` column (``attrs["close_only"] = True``); the bar feed
refuses such symbols because bars need open/high/low. The symbol MSFT resolves to the OHLCV
series; skfolio's MSFT closes are in `load_bundled_closes()`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from tradepit.domain.errors import MalformedDataError, UnknownSymbolError
from tradepit.domain.models import Asset, AssetClass

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).with_name("data")
OHLCV_COLUMNS = ("open", "high", "low", "close", "volume")
_INDEXES = frozenset({"SPX", "IXIC"})
PRICE_DECIMALS = {"SPX": 2, "IXIC": 2, "MSFT": 5}
"""The precision of each OHLCV series' prices; `load_bundled` rounds to it. The files keep
their sources' artifacts: arch's index levels went through float32 (2506.85 is stored as
2506.850098, 6635.28 as 6635.279785; index levels are published in cents), pmdarima's
adjusted MSFT prices carry binary noise (67.927 as 67.92699999999999; they have at most 5
decimals). Rounding recovers the published values: the largest change is 0.00023 (IXIC),
and MSFT's adjusted prices are not moved to a cent tick they never had."""


@dataclass(frozen=True)
class BundledSeries:
    """One bundled symbol and its provenance."""

    symbol: str
    name: str
    source: str
    licence: str
    start: date
    end: date
    rows: int
    close_only: bool
    calendar: str
    file: str
    sha256: str


@cache
def _manifest() -> tuple[dict, ...]:
    return tuple(json.loads((DATA_DIR / "manifest.json").read_text(encoding="utf-8")))


@cache
def _catalogue() -> dict[str, BundledSeries]:
    entries: dict[str, BundledSeries] = {}
    for e in _manifest():
        source = f"{e['package']} {e['version']}: {e['source']}"
        if not e["close_only"]:
            entries[e["symbol"]] = BundledSeries(
                e["symbol"], e["name"], source, e["licence"], date.fromisoformat(e["start"]),
                date.fromisoformat(e["end"]), e["rows"], False, e["calendar"], e["file"],
                e["sha256"],
            )  # fmt: skip
    for e in _manifest():
        for col in e["symbols"] if e["close_only"] else ():
            if col["symbol"] in entries:
                continue  # an OHLCV series of the same symbol wins
            entries[col["symbol"]] = BundledSeries(
                col["symbol"], f"{col['symbol']} adjusted close", source, e["licence"],
                date.fromisoformat(col["start"]), date.fromisoformat(col["end"]), col["rows"],
                True, e["calendar"], e["file"], e["sha256"],
            )  # fmt: skip
    return entries


def list_bundled() -> list[BundledSeries]:
    """Every bundled symbol: OHLCV series first, then the close-only ones."""
    return sorted(_catalogue().values(), key=lambda s: (s.close_only, s.symbol))


def bundled_symbols(*, ohlcv_only: bool = False) -> list[str]:
    return [s.symbol for s in list_bundled() if not (ohlcv_only and s.close_only)]


def _series(symbol: str) -> BundledSeries:
    entry = _catalogue().get(symbol.upper())
    if entry is None:
        raise UnknownSymbolError(symbol, bundled_symbols())
    return entry


@cache
def _read(file: str) -> pd.DataFrame:
    path = DATA_DIR / file
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as e:
        raise MalformedDataError(f"bundled file {path} cannot be read: {e}") from e
    frame = frame.set_index("timestamp")
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    log.debug("loaded bundled %s: %d rows", file, len(frame))
    return frame


def load_bundled(symbol: str) -> pd.DataFrame:
    """Bars of a bundled symbol, indexed by UTC open time ("timestamp").

    OHLCV symbols: float64 open, high, low, close (rounded to the series' precision,
    `PRICE_DECIMALS`), volume. Close-only symbols: a single
    float64 `close` column and ``attrs["close_only"] = True``. Raises UnknownSymbolError.
    """
    entry = _series(symbol)
    raw = _read(entry.file)
    if entry.close_only:
        frame = raw[[entry.symbol]].dropna().rename(columns={entry.symbol: "close"})
    else:
        decimals = PRICE_DECIMALS[entry.symbol]  # a new frame of one float64 block
        frame = raw[list(OHLCV_COLUMNS)].round(dict.fromkeys(OHLCV_COLUMNS[:4], decimals))
    frame.attrs.update(symbol=entry.symbol, source=entry.source, close_only=entry.close_only)
    return frame


def load_bundled_closes() -> pd.DataFrame:
    """All 20 close-only tickers as one wide frame of adjusted closes (skfolio's MSFT included)."""
    files = {s.file for s in _catalogue().values() if s.close_only}
    frame = pd.concat([_read(f) for f in sorted(files)], axis=1).copy()
    frame.attrs.update(close_only=True)
    return frame


def bundled_asset(symbol: str) -> Asset:
    """The Asset for a bundled symbol. Indexes are tradable here for simulation only."""
    entry = _series(symbol)
    index = entry.symbol in _INDEXES
    return Asset(
        symbol=entry.symbol,
        name=entry.name,
        asset_class=AssetClass.INDEX if index else AssetClass.US_EQUITY,
        tradable=True,
        shortable=True,
        fractionable=False,
        calendar=entry.calendar,
    )
