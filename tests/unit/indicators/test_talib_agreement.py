"""Every indicator TA-Lib has agrees with TA-Lib on real data after warm-up.

Our functions are thin wrappers, so these tests guard the wiring: parameter order and names,
defaults, matype (SMA vs EMA smoothing), population vs sample std, input conversion.
TA-Lib is called here with explicit keyword arguments, independently of our code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from tradepit.indicators import adx, atr, bbands, ema, kama, macd, obv, rsi, sma, stoch

ATOL = 1e-8


def _agree(ours: np.ndarray, ref: np.ndarray, warmup: int) -> None:
    """Same float64 shape, NaN exactly during the `warmup` bars, equal to 1e-8 after."""
    assert isinstance(ours, np.ndarray)
    assert ours.dtype == np.float64
    assert ours.shape == ref.shape
    assert np.isnan(ours[:warmup]).all()
    assert not np.isnan(ours[warmup:]).any()
    np.testing.assert_allclose(ours[warmup:], ref[warmup:], rtol=0, atol=ATOL)


def _hlc(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return bars["high"].to_numpy(), bars["low"].to_numpy(), bars["close"].to_numpy()


@pytest.mark.parametrize("length", [20, 7])
def test_sma_ema(real_bars: pd.DataFrame, length: int) -> None:
    close = real_bars["close"]
    _agree(sma(close, length), talib.SMA(close.to_numpy(), timeperiod=length), length - 1)
    _agree(ema(close, length), talib.EMA(close.to_numpy(), timeperiod=length), length - 1)


def test_defaults_match_documented_parameters(spx: pd.DataFrame) -> None:
    c = spx["close"].to_numpy()
    h, lo, _ = _hlc(spx)
    _agree(sma(c), talib.SMA(c, timeperiod=20), 19)
    _agree(ema(c), talib.EMA(c, timeperiod=20), 19)
    _agree(rsi(c), talib.RSI(c, timeperiod=14), 14)
    _agree(atr(h, lo, c), talib.ATR(h, lo, c, timeperiod=14), 14)
    _agree(adx(h, lo, c), talib.ADX(h, lo, c, timeperiod=14), 27)
    _agree(kama(c), talib.KAMA(c, timeperiod=10), 10)
    for ours, ref in zip(macd(c), talib.MACD(c, 12, 26, 9), strict=True):
        _agree(ours, ref, 33)
    for ours, ref in zip(bbands(c), talib.BBANDS(c, 20, 2.0, 2.0, 0), strict=True):
        _agree(ours, ref, 19)
    ref_k, ref_d = talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)
    for ours, ref in zip(stoch(h, lo, c), (ref_k, ref_d), strict=True):
        _agree(ours, ref, 17)


@pytest.mark.parametrize("length", [14, 5])
def test_rsi_is_wilder(real_bars: pd.DataFrame, length: int) -> None:
    c = real_bars["close"].to_numpy()
    _agree(rsi(c, length), talib.RSI(c, timeperiod=length), length)


def test_macd_parameter_order(real_bars: pd.DataFrame) -> None:
    c = real_bars["close"].to_numpy()
    ref = talib.MACD(c, fastperiod=5, slowperiod=35, signalperiod=4)
    line, signal, hist = macd(c, fast=5, slow=35, signal=4)
    for ours, expected in zip((line, signal, hist), ref, strict=True):
        _agree(ours, expected, 34 + 3)
    np.testing.assert_allclose(hist[40:], line[40:] - signal[40:], rtol=0, atol=ATOL)


@pytest.mark.parametrize("length", [14, 10, 1])
def test_atr_is_wilder(real_bars: pd.DataFrame, length: int) -> None:
    h, lo, c = _hlc(real_bars)
    _agree(atr(h, lo, c, length), talib.ATR(h, lo, c, timeperiod=length), length)


def test_bbands_population_std(real_bars: pd.DataFrame) -> None:
    c = real_bars["close"].to_numpy()
    ref = talib.BBANDS(c, timeperiod=10, nbdevup=1.5, nbdevdn=1.5, matype=0)
    upper, middle, lower = bbands(c, length=10, std=1.5)
    for ours, expected in zip((upper, middle, lower), ref, strict=True):
        _agree(ours, expected, 9)
    window = c[-10:]
    assert upper[-1] == pytest.approx(window.mean() + 1.5 * window.std(ddof=0), abs=1e-8)


def test_stoch_parameter_order(real_bars: pd.DataFrame) -> None:
    h, lo, c = _hlc(real_bars)
    ref_k, ref_d = talib.STOCH(
        h, lo, c, fastk_period=9, slowk_period=4, slowk_matype=0, slowd_period=2, slowd_matype=0
    )
    k, d = stoch(h, lo, c, k=9, d=2, smooth_k=4)
    _agree(k, ref_k, 9 + 4 + 2 - 3)
    _agree(d, ref_d, 9 + 4 + 2 - 3)


@pytest.mark.parametrize("length", [14, 7])
def test_adx(real_bars: pd.DataFrame, length: int) -> None:
    h, lo, c = _hlc(real_bars)
    _agree(adx(h, lo, c, length), talib.ADX(h, lo, c, timeperiod=length), 2 * length - 1)


def test_obv(real_bars: pd.DataFrame) -> None:
    c, v = real_bars["close"].to_numpy(), real_bars["volume"].to_numpy()
    _agree(obv(c, v), talib.OBV(c, v), 0)


def _kama_reference(c: np.ndarray, length: int, fast: int, slow: int) -> np.ndarray:
    """Kaufman's definition written out, seeded with close[length-1] like TA-Lib."""
    out = np.full(c.size, np.nan)
    fast_sc, slow_sc = 2.0 / (fast + 1), 2.0 / (slow + 1)
    value = c[length - 1]
    for i in range(length, c.size):
        noise = np.abs(np.diff(c[i - length : i + 1])).sum()
        er = abs(c[i] - c[i - length]) / noise if noise else 1.0
        value += (er * (fast_sc - slow_sc) + slow_sc) ** 2 * (c[i] - value)
        out[i] = value
    return out


def test_kama_talib_path(spx: pd.DataFrame) -> None:
    c = spx["close"].to_numpy()
    _agree(kama(c, 10), talib.KAMA(c, timeperiod=10), 10)
    _agree(kama(c, 10), _kama_reference(c, 10, 2, 30), 10)


@pytest.mark.parametrize(("length", "fast", "slow"), [(10, 3, 20), (20, 2, 40)])
def test_kama_pandas_ta_path_for_other_fast_slow(
    spx: pd.DataFrame, length: int, fast: int, slow: int
) -> None:
    c = spx["close"].to_numpy()
    _agree(kama(c, length, fast, slow), _kama_reference(c, length, fast, slow), length)


def test_series_and_array_inputs_give_the_same_result(spx: pd.DataFrame) -> None:
    h, lo, c = _hlc(spx)
    np.testing.assert_array_equal(rsi(spx["close"]), rsi(c))
    np.testing.assert_array_equal(atr(spx["high"], spx["low"], spx["close"]), atr(h, lo, c))
    as_ints = np.round(c).astype(np.int64)  # integer input is read as float64
    np.testing.assert_array_equal(sma(as_ints, 5), talib.SMA(as_ints.astype(float), 5))
