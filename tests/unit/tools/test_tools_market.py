"""Market-data tools: get_quote, get_bars, get_indicators, get_signal. Point-in-time and typed
errors."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from tests.unit.tools.harness import DAY, Caller, Market, make_deps

from tradepit.indicators import INDICATORS, compute
from tradepit.strategies import get_strategy
from tradepit.tools.get_indicators import WARMUP_BARS, parse_spec
from tradepit.tools.registry import default_tools, tools_by_name


def test_quote_is_the_last_completed_close(call: Caller, market: Market) -> None:
    out = call("get_quote", {"symbol": "spx"})
    visible = market.visible("SPX")["close"]
    assert out["symbol"] == "SPX"
    assert out["price"] == pytest.approx(visible.iloc[-1])
    assert out["change_pct"] == pytest.approx(
        100 * (visible.iloc[-1] / visible.iloc[-2] - 1), abs=0.01
    )


def test_quote_change_of_a_symbol_whose_data_ended_before_the_clock(source, registry) -> None:
    """MSFT's bundled data ends in 2017-11; at a 2018 clock its quote is that last close,
    and its change is still against the close before it (it was n/a)."""
    market = Market(source, start=datetime(2018, 6, 1, tzinfo=UTC))
    out = Caller(make_deps(market), registry)("get_quote", {"symbol": "MSFT"})
    closes = source.frame("MSFT")["close"]
    assert out["price"] == pytest.approx(closes.iloc[-1])
    change = 100 * (closes.iloc[-1] / closes.iloc[-2] - 1)
    assert out["change_pct"] == pytest.approx(change, abs=0.01)


def test_quote_moves_with_the_clock_and_never_sees_the_next_bar(
    call: Caller, market: Market
) -> None:
    before = call("get_quote", {"symbol": "MSFT"})["price"]
    upcoming = market.source.frame("MSFT")
    upcoming = upcoming[upcoming.index >= pd.Timestamp(market.clock.now())]["close"].iloc[0]
    assert before != pytest.approx(upcoming)
    market.step()
    assert call("get_quote", {"symbol": "MSFT"})["price"] == pytest.approx(upcoming)


@pytest.mark.parametrize("tool", ["get_quote", "get_bars", "get_indicators", "get_signal"])
def test_unknown_symbol_is_a_typed_tool_error(call: Caller, tool: str) -> None:
    result = call.result(tool, {"symbol": "NOPE"})
    assert not result.ok
    assert result.error_type == "UnknownSymbolError"
    assert "SPX" in (result.error or "")  # the model is told which symbols exist


def test_before_the_first_bar_there_is_no_data(source, registry) -> None:
    market = Market(source, start=datetime(1999, 1, 4, tzinfo=UTC))
    result = Caller(make_deps(market), registry).result("get_quote", {"symbol": "SPX"})
    assert (result.ok, result.error_type) == (False, "NoDataError")


def test_bars_summary_is_compact_and_point_in_time(call: Caller, market: Market) -> None:
    out = call("get_bars", {"symbol": "SPX", "lookback": 30, "closes": 5})
    visible = market.visible("SPX").iloc[-30:]
    closes = visible["close"].to_numpy()
    assert out["bars"] == 30
    assert out["end"] == visible.index[-1].date().isoformat()
    assert pd.Timestamp(out["end"], tz="UTC") + DAY <= pd.Timestamp(market.clock.now())
    assert out["closes"] == pytest.approx(closes[-5:], rel=1e-5)
    assert out["return_pct"] == pytest.approx(100 * (closes[-1] / closes[0] - 1), abs=0.01)
    assert out["high"] == pytest.approx(visible["high"].max(), rel=1e-5)
    assert out["low"] == pytest.approx(visible["low"].min(), rel=1e-5)
    vol = np.std(np.diff(closes) / closes[:-1], ddof=1) * np.sqrt(252)
    assert out["volatility_pct"] == pytest.approx(100 * vol, abs=0.01)


def test_bars_resample_to_weeks(call: Caller) -> None:
    out = call("get_bars", {"symbol": "SPX", "timeframe": "1Week", "lookback": 10})
    assert out["timeframe"] == "1Week" and out["bars"] == 10


@pytest.mark.parametrize(
    ("args", "error_type", "text"),
    [
        ({"symbol": "SPX", "closes": 31}, "ValidationError", "closes"),
        ({"symbol": "SPX", "lookback": 1}, "ValidationError", "lookback"),
        ({"symbol": "SPX", "timeframe": "1Min"}, "ToolArgumentError", "finer"),
        ({"symbol": "SPX", "timeframe": "soon"}, "ToolArgumentError", "timeframe"),
    ],
)
def test_bars_bad_arguments(call: Caller, args: dict, error_type: str, text: str) -> None:
    result = call.result("get_bars", args)
    assert (result.ok, result.error_type) == (False, error_type)
    assert text in (result.error or "")


def test_indicators_match_the_registry_on_visible_bars_only(call: Caller, market: Market) -> None:
    out = call("get_indicators", {"symbol": "MSFT", "indicators": ["rsi", "sma:50", "macd:8,21"]})
    visible = market.visible("MSFT").iloc[-WARMUP_BARS:]
    expected = {
        "rsi_14": compute("rsi", visible)["rsi_14"].iloc[-1],
        "sma_50": compute("sma", visible, length=50)["sma_50"].iloc[-1],
        "macd_hist": compute("macd", visible, fast=8, slow=21)["macd_hist"].iloc[-1],
    }
    for key, value in expected.items():
        assert out["values"][key] == pytest.approx(value, rel=1e-5)
    assert out["as_of"] == visible.index[-1].date().isoformat()
    # one more bar (the future) would change the value: the tool did not use it
    future = market.source.frame("MSFT")
    future = future[future.index <= visible.index[-1] + 2 * DAY].iloc[-WARMUP_BARS:]
    assert compute("rsi", future)["rsi_14"].iloc[-1] != pytest.approx(out["values"]["rsi_14"])


@pytest.mark.parametrize(
    ("spec", "name", "params"),
    [
        ("rsi", "rsi", {}),
        ("SMA:50", "sma", {"length": 50}),
        ("macd:fast=8,slow=21", "macd", {"fast": 8, "slow": 21}),
        ("bbands:20,2.5", "bbands", {"length": 20, "std": 2.5}),
        ("vwap:anchor=W", "vwap", {"anchor": "W"}),
    ],
)
def test_indicator_spec_parsing(spec: str, name: str, params: dict) -> None:
    assert parse_spec(spec) == (name, params)


@pytest.mark.parametrize(
    ("spec", "error_type"),
    [
        ("foo", "UnknownIndicatorError"),
        ("rsi:1", "IndicatorParamError"),
        ("rsi:1,2", "IndicatorParamError"),
    ],
)
def test_indicator_errors_are_reported(call: Caller, spec: str, error_type: str) -> None:
    result = call.result("get_indicators", {"symbol": "SPX", "indicators": [spec]})
    assert (result.ok, result.error_type) == (False, error_type)


def test_indicator_description_names_every_registry_indicator() -> None:
    description = tools_by_name(default_tools())["get_indicators"].description
    assert all(name in description for name in INDICATORS)


def test_signal_is_the_strategy_on_visible_bars(call: Caller, market: Market) -> None:
    out = call("get_signal", {"symbol": "SPX", "strategy": "supertrend"})
    visible = market.visible("SPX").iloc[-WARMUP_BARS:]
    signals = get_strategy("supertrend").signals(visible)
    assert out["target"] == pytest.approx(signals["target"].iloc[-1])
    assert out["previous_target"] == pytest.approx(signals["target"].iloc[-2])
    assert out["stop"] == pytest.approx(signals["stop"].iloc[-1], rel=1e-5)
    assert out["position_qty"] == 0
    assert out["params_source"] == "built-in defaults"


def test_signal_counts_pending_orders_as_position(call: Caller) -> None:
    call("place_order", {"symbol": "SPX", "side": "buy", "qty": 2})
    assert call("get_signal", {"symbol": "SPX"})["position_qty"] == 2


def test_unknown_strategy_is_a_strategy_error(call: Caller) -> None:
    result = call.result("get_signal", {"symbol": "SPX", "strategy": "astrology"})
    assert result.error_type == "StrategyError" and "supertrend" in (result.error or "")
