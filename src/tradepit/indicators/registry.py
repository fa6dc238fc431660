"""Indicator registry for the indicator tool: specs (name, one-line description, parameters
with defaults and ranges, inputs, output columns) and `compute` over a bars DataFrame.

Errors: `UnknownIndicatorError` for a name not in `INDICATORS`, `IndicatorParamError` for an
unknown, mistyped or out-of-range parameter, `IndicatorInputError` for bars lacking a needed
column. All are `IndicatorError` (a `TradepitError` and a `ValueError`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from tradepit.indicators._validate import TALIB_MAX_PERIOD, check_float, check_int
from tradepit.indicators.divergence import rsi_divergence
from tradepit.indicators.errors import (
    IndicatorInputError,
    IndicatorParamError,
    UnknownIndicatorError,
)
from tradepit.indicators.momentum import adx, macd, rsi, stoch
from tradepit.indicators.moving_averages import ema, kama, sma
from tradepit.indicators.supertrend import supertrend
from tradepit.indicators.volatility import atr, bbands
from tradepit.indicators.volume import VWAP_ANCHORS, obv, vwap


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: an int or float in [minimum, maximum], or a str among `choices`."""

    name: str
    kind: Literal["int", "float", "str"]
    default: int | float | str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> int | float | str:
        """The validated value; raises `IndicatorParamError`."""
        if self.kind == "int":
            return check_int(self.name, value, int(self.minimum), int(self.maximum))
        if self.kind == "float":
            return check_float(self.name, value, self.minimum, self.maximum)
        if value not in self.choices:
            raise IndicatorParamError(f"{self.name} must be one of {self.choices}, got {value!r}")
        return value

    def describe(self) -> str:
        valid = "|".join(self.choices) if self.kind == "str" else f"{self.minimum}..{self.maximum}"
        return f"{self.name}: {self.kind} {valid}, default {self.default}"


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator as the tool layer sees it. `outputs` are column-name templates
    formatted with the parameters (``"rsi_{length}"`` -> ``"rsi_14"``)."""

    name: str
    description: str
    inputs: tuple[str, ...]
    params: tuple[ParamSpec, ...]
    outputs: tuple[str, ...]
    func: Callable[..., Any] = field(repr=False, compare=False)
    needs_index: bool = False

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with checked `params`; raises `IndicatorParamError`. Checks that
        involve several parameters (MACD fast < slow) are left to the function itself."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise IndicatorParamError(
                f"{self.name} has no parameter {', '.join(unknown)} (valid: {', '.join(known)})"
            )
        merged = self.defaults() | dict(params)
        return {name: known[name].check(value) for name, value in merged.items()}

    def columns(self, **params: Any) -> list[str]:
        """Output column names for these (validated) parameters."""
        return [template.format(**(self.defaults() | params)) for template in self.outputs]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary for a tool schema or help text."""
        return {
            "name": self.name,
            "description": self.description,
            "inputs": list(self.inputs),
            "params": [p.describe() for p in self.params],
            "outputs": list(self.outputs),
        }


def _length(default: int, minimum: int = 2, name: str = "length") -> ParamSpec:
    return ParamSpec(name, "int", default, minimum, TALIB_MAX_PERIOD)


def _rsi_divergence_from_close(
    close: np.ndarray, length: int, pivot: int, lookback: int
) -> np.ndarray:
    return rsi_divergence(close, rsi(close, length), pivot=pivot, lookback=lookback)


_HLC = ("high", "low", "close")
_SPECS = (
    IndicatorSpec(
        "sma", "Simple moving average of close.", ("close",), (_length(20),), ("sma_{length}",), sma
    ),
    IndicatorSpec(
        "ema", "Exponential moving average of close (SMA-seeded).", ("close",), (_length(20),),
        ("ema_{length}",), ema,
    ),
    IndicatorSpec(
        "rsi", "Wilder RSI of close, 0-100; above 70 overbought, below 30 oversold.",
        ("close",), (_length(14),), ("rsi_{length}",), rsi,
    ),
    IndicatorSpec(
        "macd", "MACD line (fast EMA - slow EMA), its signal EMA and histogram.", ("close",),
        (_length(12, name="fast"), _length(26, 3, "slow"), _length(9, 1, "signal")),
        ("macd", "macd_signal", "macd_hist"), macd,
    ),
    IndicatorSpec(
        "atr", "Wilder average true range, in price units.", _HLC, (_length(14, 1),),
        ("atr_{length}",), atr,
    ),
    IndicatorSpec(
        "bbands", "Bollinger Bands: SMA of close ± std population standard deviations.",
        ("close",), (_length(20), ParamSpec("std", "float", 2.0, 0.01, 100.0)),
        ("bb_upper", "bb_middle", "bb_lower"), bbands,
    ),
    IndicatorSpec(
        "kama", "Kaufman adaptive moving average: fast in trends, flat in chop.", ("close",),
        (_length(10), _length(2, 1, "fast"), _length(30, 1, "slow")), ("kama_{length}",), kama,
    ),
    IndicatorSpec(
        "vwap", "VWAP of typical price, reset each anchor period (cumulative if no time index).",
        (*_HLC, "volume"), (ParamSpec("anchor", "str", "D", choices=VWAP_ANCHORS),), ("vwap",),
        vwap, needs_index=True,
    ),
    IndicatorSpec(
        "stoch", "Slow stochastic %K and %D, 0-100; above 80 overbought, below 20 oversold.",
        _HLC, (_length(14, 1, "k"), _length(3, 1, "d"), _length(3, 1, "smooth_k")),
        ("stoch_k", "stoch_d"), stoch,
    ),
    IndicatorSpec(
        "adx", "Wilder ADX trend strength, 0-100; above 25 trending, below 20 ranging.", _HLC,
        (_length(14),), ("adx_{length}",), adx,
    ),
    IndicatorSpec(
        "obv", "On-balance volume: cumulative volume signed by the close-to-close move.",
        ("close", "volume"), (), ("obv",), obv,
    ),
    IndicatorSpec(
        "supertrend", "Supertrend stop line and direction (+1 up, -1 down) from ATR bands.",
        _HLC, (_length(10, 1), ParamSpec("multiplier", "float", 3.0, 0.01, 100.0)),
        ("supertrend", "supertrend_dir"), supertrend,
    ),
    IndicatorSpec(
        "rsi_divergence",
        "Regular RSI divergence at confirmed price pivots: +1 bullish, -1 bearish, 0 none.",
        ("close",),
        (_length(14), ParamSpec("pivot", "int", 5, 1, 1000),
         ParamSpec("lookback", "int", 60, 2, 10_000)),
        ("rsi_divergence",), _rsi_divergence_from_close,
    ),
)  # fmt: skip
INDICATORS: dict[str, IndicatorSpec] = {spec.name: spec for spec in _SPECS}


def compute(name: str, bars: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """Indicator `name` over OHLCV `bars` (columns matched case-insensitively), one column per
    output, indexed like `bars`. See the module docstring for the errors raised."""
    spec = INDICATORS.get(name)
    if spec is None:
        raise UnknownIndicatorError(name, sorted(INDICATORS))
    checked = spec.validate(params)
    if not isinstance(bars, pd.DataFrame):
        raise IndicatorInputError(f"bars must be a pandas DataFrame, got {type(bars).__name__}")
    by_lower = {str(col).lower(): col for col in bars.columns}
    missing = [col for col in spec.inputs if col not in by_lower]
    if missing:
        raise IndicatorInputError(f"{name} needs bar columns {', '.join(missing)}")
    inputs = [bars[by_lower[col]] for col in spec.inputs]
    if spec.needs_index:
        index = bars.index if isinstance(bars.index, pd.DatetimeIndex) else None
        checked = checked | {"index": index}
    result = spec.func(*inputs, **checked)
    arrays = result if isinstance(result, tuple) else (result,)
    columns = spec.columns(**{k: v for k, v in checked.items() if k != "index"})
    return pd.DataFrame(dict(zip(columns, arrays, strict=True)), index=bars.index)
