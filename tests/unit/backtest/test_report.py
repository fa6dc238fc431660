"""HTML reports: written, self-contained (plotly.js inline, nothing fetched), with the
expected traces and figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import optuna
import pandas as pd
import pytest

from tradepit.backtest.event import run_backtest
from tradepit.backtest.objectives import ObjectiveSpec
from tradepit.backtest.optimize import optimize
from tradepit.backtest.report import backtest_report, optimize_report, walkforward_report
from tradepit.backtest.report_html import fmt
from tradepit.backtest.vector import run_vector
from tradepit.backtest.walkforward import walk_forward
from tradepit.market.bundled import bundled_asset, load_bundled
from tradepit.strategies import build_params, get_strategy

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return load_bundled("SPX").loc["2012-01-01":"2015-12-31"]


def figures(html: str) -> list[list[dict]]:
    """The trace lists passed to Plotly.newPlot, in page order."""
    out, decoder = [], json.JSONDecoder()
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html):
        data, _ = decoder.raw_decode(html, match.end())
        out.append(data)
    return out


def assert_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']?(https?:)?//", html, re.I)
    head = html[: html.index("</head>")]
    assert len(head) > 1_000_000 and "Plotly" in head  # plotly.js inlined in the head


def names(traces: list[dict]) -> list[str]:
    return [t.get("name") for t in traces]


def test_backtest_report_has_price_indicators_trades_equity_and_metrics(tmp_path: Path, spx):
    strategy = get_strategy("sma_cross")
    params = build_params(strategy, {"fast": 10, "slow": 30})
    result = run_backtest(strategy, spx, "SPX", params, asset=bundled_asset("SPX"))
    path = backtest_report(result, spx, tmp_path / "out" / "bt.html")
    html = path.read_text(encoding="utf-8")
    assert_self_contained(html)
    (traces,) = figures(html)
    assert {"price", "SMA 10", "SMA 30", "equity", "drawdown", "exit"} <= set(names(traces))
    by_name = {t["name"]: t for t in traces}
    assert by_name["price"]["type"] == "candlestick" and len(by_name["price"]["x"]) == len(spx)
    longs = [t for t in result.trades if t.side == "long"]
    shorts = [t for t in result.trades if t.side == "short"]
    assert len(by_name["long entry"]["x"]) == len(longs) > 0
    assert len(by_name["short entry"]["x"]) == len(shorts) > 0
    assert len(by_name["exit"]["x"]) == len(result.trades)
    m = result.metrics
    for value in (m.return_pct, m.sharpe, m.max_drawdown_pct, m.trades):
        assert f"<td>{fmt(value)}</td>" in html


def test_lower_panels_follow_the_strategy(tmp_path: Path, spx):
    strategy = get_strategy("macd_rsi")
    result = run_vector(strategy, spx, "SPX")
    html = backtest_report(result, spx, tmp_path / "m.html").read_text(encoding="utf-8")
    traces = names(figures(html)[0])
    assert {"MACD", "signal", "hist", "RSI 14", "stop"} <= set(traces)


def test_long_series_are_drawn_as_a_line(tmp_path: Path):
    bars = load_bundled("SPX")
    result = run_vector(get_strategy("supertrend"), bars, "SPX")
    html = backtest_report(result, bars, tmp_path / "s.html").read_text(encoding="utf-8")
    traces = figures(html)[0]
    assert "close" in names(traces) and "price" not in names(traces)
    assert any(n and n.startswith("Supertrend(10, 3)") for n in names(traces))


def test_optimize_report_has_history_importance_best_trials_and_backtest(tmp_path, spx):
    strategy = get_strategy("sma_cross")
    result = optimize(strategy, spx, "SPX", trials=20, seed=3, spec=ObjectiveSpec(min_trades=2))
    best = run_vector(strategy, spx, "SPX", build_params(strategy, result.best_params))
    path = optimize_report(result, tmp_path / "opt.html", backtest=best, bars=spx)
    html = path.read_text(encoding="utf-8")
    assert_self_contained(html)
    history, importance, backtest = figures(html)
    assert names(history)[:2] == ["objective", "best so far"]
    complete = [t for t in result.trials if t.state == "complete"]
    assert len(history[0]["x"]) == len(complete)
    assert sorted(importance[0]["y"]) == ["fast", "slow"]
    assert "SMA" in " ".join(n for n in names(backtest) if n)
    assert "Best trials" in html and "composite" in html  # the objectives' formula is shown
    top = max(complete, key=lambda t: t.value)
    assert f"<td>{fmt(top.number)}</td><td>{fmt(top.value)}</td>" in html


def test_optimize_report_without_enough_trials_says_so(tmp_path, spx):
    result = optimize(get_strategy("sma_cross"), spx, "SPX", trials=1, seed=3)
    html = optimize_report(result, tmp_path / "o.html").read_text(encoding="utf-8")
    assert "not available" in html
    assert len(figures(html)) == 1


def test_walkforward_report_compares_in_and_out_of_sample(tmp_path, spx):
    result = walk_forward(
        get_strategy("sma_cross"), spx, "SPX", train=300, test=150, trials=4, seed=1,
        spec=ObjectiveSpec(min_trades=1),
    )  # fmt: skip
    html = walkforward_report(result, tmp_path / "wf.html").read_text(encoding="utf-8")
    assert_self_contained(html)
    sharpe, equity = figures(html)
    assert names(sharpe) == ["IS Sharpe", "OOS Sharpe"]
    assert len(sharpe[0]["x"]) == len(result.windows)
    assert names(equity) == ["OOS equity"]
    assert f"verdict: {result.verdict}" in html
    assert "efficiency" in html and "overfit" in html
