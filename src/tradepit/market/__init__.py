"""Market data: bundled real series, loaders, synthetic generators, the point-in-time feed."""

from tradepit.market.bundled import (
    BundledSeries,
    bundled_asset,
    list_bundled,
    load_bundled,
    load_bundled_closes,
)
from tradepit.market.feed import HistoricalSource, PointInTimeFeed
from tradepit.market.loaders import load_ohlcv, normalise_ohlcv
from tradepit.market.resample import resample
from tradepit.market.synthetic import is_synthetic, synthetic_ohlcv, synthetic_universe
from tradepit.market.timeframe import annualisation_factor, canonical_timeframe, parse_timeframe

__all__ = [
    "BundledSeries",
    "HistoricalSource",
    "PointInTimeFeed",
    "annualisation_factor",
    "bundled_asset",
    "canonical_timeframe",
    "is_synthetic",
    "list_bundled",
    "load_bundled",
    "load_bundled_closes",
    "load_ohlcv",
    "normalise_ohlcv",
    "parse_timeframe",
    "resample",
    "synthetic_ohlcv",
    "synthetic_universe",
]
