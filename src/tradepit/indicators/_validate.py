"""Input and parameter checks shared by the indicator functions."""

from __future__ import annotations

import math
import operator
import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from tradepit.indicators.errors import IndicatorInputError, IndicatorParamError

TALIB_MAX_PERIOD = 100_000


def as_f64(values: Any, name: str) -> np.ndarray:
    """`values` as a contiguous one-dimensional float64 array (pandas NA becomes NaN)."""
    if isinstance(values, pd.Series):
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise IndicatorInputError(f"{name} cannot be read as float64: {e}") from e
    if arr.ndim != 1:
        raise IndicatorInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def as_f64_many(**series: Any) -> list[np.ndarray]:
    """Several inputs as float64 arrays of one common length."""
    arrays = [as_f64(v, k) for k, v in series.items()]
    lengths = {k: a.size for k, a in zip(series, arrays, strict=True)}
    if len(set(lengths.values())) > 1:
        raise IndicatorInputError(f"inputs have unequal lengths: {lengths}")
    return arrays


def check_int(name: str, value: Any, minimum: int, maximum: int = TALIB_MAX_PERIOD) -> int:
    """`value` as an int in [minimum, maximum]; integral floats (14.0) are accepted."""
    if isinstance(value, bool):
        raise IndicatorParamError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        result = operator.index(value)
    except TypeError as e:
        raise IndicatorParamError(f"{name} must be an integer, got {value!r}") from e
    if not minimum <= result <= maximum:
        raise IndicatorParamError(f"{name} must be in [{minimum}, {maximum}], got {result}")
    return result


def check_float(name: str, value: Any, minimum: float, maximum: float) -> float:
    """`value` as a finite float in [minimum, maximum]."""
    if isinstance(value, bool):
        raise IndicatorParamError(f"{name} must be a number, got {value!r}")
    try:
        result = float(value)
    except (TypeError, ValueError) as e:
        raise IndicatorParamError(f"{name} must be a number, got {value!r}") from e
    if not (math.isfinite(result) and minimum <= result <= maximum):
        raise IndicatorParamError(f"{name} must be in [{minimum}, {maximum}], got {value!r}")
    return result


def pandas_ta() -> ModuleType:
    """pandas_ta_classic, imported on first use (it is slow to import). Its import-time
    deprecation warning about ``Timestamp.dayofyear`` is the library's, not ours: silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Timestamp\.dayofyear is deprecated")
        import pandas_ta_classic
    return pandas_ta_classic
