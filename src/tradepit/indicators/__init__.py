"""Technical indicators over float64 arrays: a thin layer over TA-Lib and
pandas-ta-classic, plus what neither has (Supertrend, RSI divergence), and the registry
used by the indicator tool.

Inputs are numpy arrays or pandas Series (read as float64); outputs are float64 numpy arrays,
NaN during warm-up. Leading NaNs are skipped; a NaN inside a series makes the TA-Lib based
outputs NaN from there on, so repair gaps before computing. Bad parameters or inputs raise
`IndicatorError` subclasses (both `TradepitError` and `ValueError`).
"""

from tradepit.indicators.divergence import rsi_divergence
from tradepit.indicators.errors import (
    IndicatorError,
    IndicatorInputError,
    IndicatorParamError,
    UnknownIndicatorError,
)
from tradepit.indicators.momentum import adx, macd, rsi, stoch
from tradepit.indicators.moving_averages import ema, kama, sma
from tradepit.indicators.registry import INDICATORS, IndicatorSpec, ParamSpec, compute
from tradepit.indicators.supertrend import supertrend
from tradepit.indicators.volatility import atr, bbands
from tradepit.indicators.volume import obv, vwap

__all__ = [
    "INDICATORS",
    "IndicatorError",
    "IndicatorInputError",
    "IndicatorParamError",
    "IndicatorSpec",
    "ParamSpec",
    "UnknownIndicatorError",
    "adx",
    "atr",
    "bbands",
    "compute",
    "ema",
    "kama",
    "macd",
    "obv",
    "rsi",
    "rsi_divergence",
    "sma",
    "stoch",
    "supertrend",
    "vwap",
]
