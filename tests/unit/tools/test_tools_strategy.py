"""run_backtest, get_strategy_config and get_last_decision."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from tests.unit.tools.harness import DAY, Caller, Market

from tradepit.backtest.event import BacktestConfig, run_backtest
from tradepit.domain.models import Decision
from tradepit.storage import Store
from tradepit.strategies import get_strategy


def test_backtest_uses_only_bars_complete_at_now(call: Caller, market: Market) -> None:
    out = call("run_backtest", {"strategy": "supertrend", "symbol": "SPX", "start": "2010-01-01"})
    visible = market.visible("SPX")
    bars = visible[visible.index >= pd.Timestamp("2010-01-01", tz="UTC")]
    expected = run_backtest(get_strategy("supertrend"), bars, "SPX", config=BacktestConfig())
    assert out["bars"] == len(bars)
    assert out["end"] == bars.index[-1].date().isoformat()
    assert pd.Timestamp(out["end"], tz="UTC") + DAY <= pd.Timestamp(market.clock.now())
    assert out["return_pct"] == pytest.approx(expected.metrics.return_pct, rel=1e-3)
    assert out["trades"] == expected.metrics.trades
    assert out["params"] == {"length": 10, "multiplier": 3.0, "allow_short": True}


def test_backtest_default_window_is_five_years(call: Caller) -> None:
    out = call("run_backtest", {"strategy": "buy_and_hold", "symbol": "MSFT"})
    assert out["start"].startswith("2010-01") and out["trades"] == 1


def test_backtest_refuses_the_future(call: Caller) -> None:
    result = call.result(
        "run_backtest", {"strategy": "supertrend", "symbol": "SPX", "end": "2016-01-01"}
    )
    assert result.error_type == "ToolArgumentError" and "look-ahead" in (result.error or "")


@pytest.mark.parametrize(
    ("args", "error_type"),
    [
        (
            {"strategy": "supertrend", "symbol": "SPX", "start": "2014-06-01", "end": "2014-01-01"},
            "ToolArgumentError",
        ),
        ({"strategy": "supertrend", "symbol": "SPX", "start": "2014-12-01"}, "NoDataError"),
        ({"strategy": "nope", "symbol": "SPX"}, "StrategyError"),
        ({"strategy": "supertrend", "symbol": "SPX", "params": {"length": 1}}, "StrategyError"),
        ({"strategy": "supertrend", "symbol": "SPX", "start": "yesterday"}, "ValidationError"),
        ({"strategy": "supertrend", "symbol": "ZZZ"}, "UnknownSymbolError"),
    ],
)
def test_backtest_errors(call: Caller, args: dict, error_type: str) -> None:
    assert call.result("run_backtest", args).error_type == error_type


def test_backtest_param_overrides(call: Caller) -> None:
    args = {"strategy": "sma_cross", "symbol": "SPX", "params": {"fast": 5, "slow": 20}}
    out = call("run_backtest", args)
    assert out["params"]["fast"] == 5 and out["params_source"].endswith("+ overrides")


def test_strategy_config_built_in(call: Caller) -> None:
    out = call("get_strategy_config", {"strategy": "supertrend"})
    assert out["params"] == {"length": 10, "multiplier": 3.0, "allow_short": True}
    assert "length: 3..50 (10)" in out["ranges"]
    assert out["source"] == "built-in defaults" and "macd_rsi" in out["strategies"]


def test_strategy_config_reads_a_tuned_file(call: Caller, tmp_path: Path) -> None:
    tuned = tmp_path / "strategies" / "supertrend" / "SPX.json"
    tuned.parent.mkdir(parents=True)
    tuned.write_text(json.dumps({"params": {"length": 20, "multiplier": 2.5}, "sharpe": 1.1}))
    call.deps.home = tmp_path  # type: ignore[attr-defined]
    out = call("get_strategy_config", {"strategy": "supertrend", "symbol": "spx"})
    assert out["params"]["length"] == 20 and out["source"] == str(tuned)
    assert (
        call("get_strategy_config", {"strategy": "supertrend", "symbol": "MSFT"})["params"][
            "length"
        ]
        == 10
    )
    signal = call("get_signal", {"symbol": "SPX"})
    assert signal["params_source"] == str(tuned)
    tuned.write_text("[1, 2]")
    assert call.result("get_strategy_config", {"symbol": "SPX"}).error_type == "StrategyError"


def test_last_decision_without_a_store(call: Caller) -> None:
    assert call.result("get_last_decision").error_type == "ToolUnavailableError"


def test_last_decision_from_the_journal(call: Caller, tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.migrate()
    when = datetime(2014, 12, 31, tzinfo=UTC)
    store.create_run("run-1", "cycle", when, {})
    for cycle, (symbol, action) in enumerate([("SPX", "buy"), ("MSFT", "hold"), ("SPX", "close")]):
        decision = Decision(
            run_id="run-1",
            cycle=cycle,
            symbol=symbol,
            action=action,
            rationale=f"r{cycle}",
            timestamp=when,
            backend="rules:supertrend",
        )
        calls = [{"name": "get_signal"}, {"name": "close_position"}]
        store.record_decision(decision, {"tool_calls": calls})
    call.deps.store = store
    out = call("get_last_decision")
    assert (out["run_id"], out["cycle"], out["action"]) == ("run-1", 2, "close")
    assert out["tool_calls"] == ["get_signal", "close_position"]
    assert call("get_last_decision", {"symbol": "msft"})["rationale"] == "r1"
    assert call("get_last_decision", {"symbol": "IXIC"})["found"] is False
    store.close()
