"""Registry: specs, `compute` over bars, and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradepit.domain.errors import TradepitError
from tradepit.indicators import (
    INDICATORS,
    IndicatorError,
    IndicatorInputError,
    IndicatorParamError,
    UnknownIndicatorError,
    compute,
    macd,
    rsi,
    rsi_divergence,
    supertrend,
)

EXPECTED_COLUMNS = {
    "sma": ["sma_20"],
    "ema": ["ema_20"],
    "rsi": ["rsi_14"],
    "macd": ["macd", "macd_signal", "macd_hist"],
    "atr": ["atr_14"],
    "bbands": ["bb_upper", "bb_middle", "bb_lower"],
    "kama": ["kama_10"],
    "vwap": ["vwap"],
    "stoch": ["stoch_k", "stoch_d"],
    "adx": ["adx_14"],
    "obv": ["obv"],
    "supertrend": ["supertrend", "supertrend_dir"],
    "rsi_divergence": ["rsi_divergence"],
}


def test_every_indicator_is_registered_and_computes(spx: pd.DataFrame) -> None:
    assert set(INDICATORS) == set(EXPECTED_COLUMNS)
    for name, spec in INDICATORS.items():
        assert spec.name == name
        assert spec.description and "\n" not in spec.description
        out = compute(name, spec_bars(spx, spec.inputs))
        assert list(out.columns) == EXPECTED_COLUMNS[name]
        assert out.index.equals(spx.index)
        assert (out.dtypes == np.float64).all()
        assert out.iloc[-1].notna().all(), name


def spec_bars(bars: pd.DataFrame, inputs: tuple[str, ...]) -> pd.DataFrame:
    """Only the columns the spec says it needs: proves `inputs` is complete."""
    return bars[list(inputs)]


def test_compute_matches_the_functions(spx: pd.DataFrame) -> None:
    h, lo, c = (spx[k].to_numpy() for k in ("high", "low", "close"))
    out = compute("rsi", spx, length=7)
    assert list(out.columns) == ["rsi_7"]
    np.testing.assert_array_equal(out["rsi_7"].to_numpy(), rsi(c, 7))
    out = compute("macd", spx, fast=5, slow=20, signal=4)
    for col, ref in zip(out.columns, macd(c, 5, 20, 4), strict=True):
        np.testing.assert_array_equal(out[col].to_numpy(), ref)
    out = compute("supertrend", spx, length=7, multiplier=2.5)
    for col, ref in zip(out.columns, supertrend(h, lo, c, 7, 2.5), strict=True):
        np.testing.assert_array_equal(out[col].to_numpy(), ref)
    out = compute("rsi_divergence", spx, length=10, pivot=3, lookback=40)
    ref = rsi_divergence(c, rsi(c, 10), pivot=3, lookback=40)
    np.testing.assert_array_equal(out["rsi_divergence"].to_numpy(), ref)


def test_columns_are_matched_case_insensitively(spx: pd.DataFrame) -> None:
    upper = spx.rename(columns=str.capitalize)
    pd.testing.assert_frame_equal(compute("atr", upper), compute("atr", spx))


def test_vwap_uses_the_bars_index(spx: pd.DataFrame) -> None:
    monthly = compute("vwap", spx, anchor="M")["vwap"]
    typical = (spx["high"] + spx["low"] + spx["close"]) / 3
    month = spx.index.year * 100 + spx.index.month
    ref = (typical * spx["volume"]).groupby(month).cumsum() / spx["volume"].groupby(month).cumsum()
    np.testing.assert_allclose(monthly.to_numpy(), ref.to_numpy(), rtol=1e-12)
    cumulative = compute("vwap", spx.reset_index(drop=True))["vwap"]  # no DatetimeIndex
    assert cumulative.iloc[-1] != pytest.approx(monthly.iloc[-1])


def test_unknown_name_lists_the_known_ones(spx: pd.DataFrame) -> None:
    with pytest.raises(UnknownIndicatorError, match="supertrend") as info:
        compute("rsii", spx)
    assert info.value.known == sorted(EXPECTED_COLUMNS)


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("rsi", {"period": 14}, "no parameter period"),
        ("rsi", {"length": 1}, r"length must be in \[2, 100000\]"),
        ("rsi", {"length": "14"}, "must be an integer"),
        ("rsi", {"length": 14.5}, "must be an integer"),
        ("rsi", {"length": True}, "must be an integer"),
        ("bbands", {"std": -1.0}, "std must be in"),
        ("supertrend", {"multiplier": "x"}, "must be a number"),
        ("vwap", {"anchor": "H"}, "anchor must be one of"),
        ("macd", {"fast": 30, "slow": 20}, "fast .* must be shorter"),
    ],
)
def test_bad_parameters(spx: pd.DataFrame, name: str, params: dict, match: str) -> None:
    with pytest.raises(IndicatorParamError, match=match):
        compute(name, spx, **params)


def test_integral_floats_are_accepted(spx: pd.DataFrame) -> None:
    assert list(compute("rsi", spx, length=10.0).columns) == ["rsi_10"]


def test_missing_columns(spx: pd.DataFrame) -> None:
    with pytest.raises(IndicatorInputError, match="volume"):
        compute("obv", spx.drop(columns="volume"))


def test_errors_are_value_errors_and_tradepit_errors() -> None:
    for cls in (UnknownIndicatorError, IndicatorParamError, IndicatorInputError):
        assert issubclass(cls, IndicatorError)
        assert issubclass(cls, ValueError)
        assert issubclass(cls, TradepitError)


@pytest.mark.parametrize("name", sorted(EXPECTED_COLUMNS))
def test_declared_ranges_are_what_the_functions_accept(spx: pd.DataFrame, name: str) -> None:
    """At each declared minimum the indicator computes; one step below, it refuses."""
    bars = spx.iloc[:300]
    spec = INDICATORS[name]
    for param in spec.params:
        if param.kind == "str":
            continue
        step = 1 if param.kind == "int" else 0.001
        other = {"fast": 2} if (name, param.name) == ("macd", "slow") else {}  # fast < slow
        compute(name, bars, **other, **{param.name: param.minimum})
        with pytest.raises(IndicatorParamError):
            compute(name, bars, **other, **{param.name: param.minimum - step})


def test_specs_describe_themselves() -> None:
    described = INDICATORS["supertrend"].as_dict()
    assert described["outputs"] == ["supertrend", "supertrend_dir"]
    assert described["params"] == [
        "length: int 1..100000, default 10",
        "multiplier: float 0.01..100.0, default 3.0",
    ]
    assert INDICATORS["rsi"].columns(length=21) == ["rsi_21"]


def test_bars_must_be_a_dataframe(spx: pd.DataFrame) -> None:
    with pytest.raises(IndicatorInputError, match="DataFrame"):
        compute("rsi", spx["close"])  # type: ignore[arg-type]
