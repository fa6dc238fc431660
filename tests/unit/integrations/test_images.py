"""PNG charts (matplotlib Agg, no pyplot): valid PNGs of fixed pixel dimensions, the same
bytes for the same data, alt texts that state the numbers, nothing written to disk."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradepit.backtest.event import run_backtest
from tradepit.integrations.images import (
    BACKTEST_SIZE,
    DPI,
    EQUITY_SIZE,
    PNG_MAGIC,
    backtest_png,
    equity_png,
    png_size,
)
from tradepit.market.bundled import bundled_asset, load_bundled
from tradepit.strategies import get_strategy


def pixels(size: tuple[float, float]) -> tuple[int, int]:
    return round(size[0] * DPI), round(size[1] * DPI)


def curve(n: int, start: float = 100_000.0, seed: int = 0) -> pd.Series:
    index = pd.date_range("2017-01-03", periods=n, freq="B", tz="UTC")
    steps = np.random.default_rng(seed).normal(0.0, 300.0, n).cumsum()
    return pd.Series(start + steps, index=index)


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return load_bundled("SPX").loc["2014-01-01":"2016-12-31"]


def test_an_equity_curve_is_a_png_of_fixed_size_whatever_its_length():
    short, long = equity_png({"paper": curve(2)}, "Equity"), equity_png({"paper": curve(900)}, "E")
    for png in (short, long):
        assert png.data.startswith(PNG_MAGIC)
        assert png.size == png_size(png.data) == pixels(EQUITY_SIZE) == (900, 450)
        assert 5_000 < len(png.data) < 400_000
    assert len(long.data) > len(short.data)  # the data is drawn, not an empty frame


def test_the_same_data_gives_the_same_bytes_and_other_data_other_bytes():
    curves = {"alice": curve(250), "buy & hold": curve(250, seed=1)}
    first = equity_png(curves, "Battle b1: equity", benchmark="buy & hold")
    again = equity_png(dict(curves), "Battle b1: equity", benchmark="buy & hold")
    assert first.data == again.data
    assert equity_png({"alice": curve(250, seed=2)}, "Battle b1: equity").data != first.data


def test_the_alt_text_states_each_curve():
    a = pd.Series([100_000.0, 101_500.0], index=pd.to_datetime(["2017-01-03", "2017-06-01"]))
    b = pd.Series([100_000.0, 99_000.0], index=pd.to_datetime(["2017-01-03", "2017-06-01"]))
    png = equity_png({"alice": a, "bob": b, "one point": a.iloc[:1]}, "Equity")
    assert png.alt == (
        "Equity. alice: 100,000.00 -> 101,500.00 (+1.50%), 2017-01-03..2017-06-01; "
        "bob: 100,000.00 -> 99,000.00 (-1.00%), 2017-01-03..2017-06-01."
    )
    assert png.filename == "equity.png" and png.title == "Equity"
    with pytest.raises(ValueError, match="no equity curve"):
        equity_png({"one point": a.iloc[:1], "empty": a.iloc[:0]}, "Equity")


def test_a_backtest_chart_has_the_trades_and_buy_and_hold(spx: pd.DataFrame):
    result = run_backtest(get_strategy("supertrend"), spx, "SPX", asset=bundled_asset("SPX"))
    assert len(result.trades) > 3
    png = backtest_png(result, load_bundled("SPX")["close"])
    assert png.data.startswith(PNG_MAGIC) and png.size == pixels(BACKTEST_SIZE) == (900, 750)
    assert 20_000 < len(png.data) < 1_000_000
    assert png.filename == "backtest-supertrend-SPX.png"
    equity, closes = result.equity, spx["close"]
    hold = closes.iloc[-1] / closes.loc[equity.index[0]] - 1
    assert png.alt.startswith("Backtest: supertrend on SPX, 2014-01-02..2016-12-30. Equity ")
    assert f"({equity.iloc[-1] / equity.iloc[0] - 1:+.2%}); buy and hold" in png.alt
    assert f"-> {equity.iloc[0] * (1 + hold):,.2f} ({hold:+.2%})" in png.alt
    assert f"{len(result.trades)} trades" in png.alt


def test_nothing_is_written_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    work, temp = tmp_path / "cwd", tmp_path / "tmp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    equity_png({"paper": curve(300)}, "Equity")
    assert list(work.iterdir()) == [] and list(temp.iterdir()) == []


def test_png_size_refuses_other_data():
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + bytes(30))
