"""Honesty guards through the battle path: no tool returns data stamped after the tick,
blind battles hide names, dates and price levels, budgets are enforced fail-closed, and a
failing competitor is marked and counted (never a silent hold)."""

from __future__ import annotations

import json
import re

import exchange_calendars
import pandas as pd
import pytest
from tests.integration.battle.models import (
    Crashing,
    Failing,
    Scripted,
    buy_first,
    factory,
    small_config,
    snoop,
)

from tradepit.battle import market as market_module
from tradepit.battle import replay_battle, run_battle
from tradepit.battle.records import decision_log, load_battle

ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})")


def _requests(store, run_id):
    return [c.request["messages"] for c in store.list_model_calls(run_id)]


def test_no_tool_returns_data_stamped_after_the_tick(store, monkeypatch):
    served = []
    real = market_module.TickFeed.get_bars

    def spy(self, symbol, timeframe="1Day", start=None, end=None):
        frame = real(self, symbol, timeframe, start, end)
        served.append((self.clock.now(), frame.index[-1] if len(frame) else None, timeframe))
        return frame

    monkeypatch.setattr(market_module.TickFeed, "get_bars", spy)
    config = small_config(models=("scripted:snoop", "rules:supertrend"))
    models = {"scripted:snoop": lambda: Scripted("snoop", snoop)}
    board = run_battle(config, store, run_id="peek", backends=factory(models))
    assert board.samples[0].scores[0].failures == 0
    assert served
    closes = exchange_calendars.get_calendar("XNYS").schedule["close"]  # an own oracle
    for now, last_open, _ in served:  # every frame any tool or snapshot read
        if last_open is not None:  # a daily bar is complete at its session's close
            complete = closes.loc[last_open.tz_localize(None)]
            assert complete <= pd.Timestamp(now)
    log = decision_log(store, "peek.s1.c0")
    results = [t for entry in log for t in entry["tool_calls"]]
    assert {t["name"] for t in results} >= {"get_bars", "get_quote", "run_backtest"}
    future = [t for t in results if "2199" in t["arguments"]]
    assert future and all(t["error_type"] == "ToolArgumentError" for t in future)
    for entry in log:  # every date in every tool result is before the tick
        tick = pd.Timestamp(entry["time"])
        for t in results_of(entry):
            for y, m, d in ISO_DATE.findall(json.dumps(t)):
                assert pd.Timestamp(f"{y}-{m}-{d}", tz="UTC") <= tick


def results_of(entry):
    return [t["result"] for t in entry["tool_calls"] if t.get("ok")]


def test_blind_battle_hides_names_dates_and_prices(store):
    config = small_config(
        models=("scripted:snoop", "rules:supertrend"), symbols=("SPX", "IXIC", "MSFT"),
        blind=True, seed=7,
    )  # fmt: skip
    models = {"scripted:snoop": lambda: Scripted("snoop", snoop)}
    board = run_battle(config, store, run_id="blind", backends=factory(models))
    record = load_battle(store, "blind")
    blinding = record.samples[0].blinding
    assert sorted(blinding.aliases) == ["IXIC", "MSFT", "SPX"]
    assert sorted(blinding.aliases.values()) == ["ASSET-A", "ASSET-B", "ASSET-C"]
    for run in ("blind.s1.c0", "blind.s1.c1"):
        messages = _requests(store, run)
        seen = [m for ms in messages for m in ms if m["role"] != "assistant"]  # not its own args
        text = json.dumps(seen)
        for real in ("SPX", "IXIC", "MSFT", "S&P", "Nasdaq", "Microsoft"):
            assert real not in text, real
        years = {int(y) for y, _, _ in ISO_DATE.findall(text)}
        assert years and not years & set(range(1900, 2040)), sorted(years)  # no real date
        assert "2100-01-0" in messages[0][0]["content"]  # the system prompt's clock
    first = _requests(store, "blind.s1.c0")[0][1]["content"]  # the first decision prompt
    closes = [float(x) for x in re.findall(r"close (\d+(?:\.\d+)?)", first)]
    assert len(closes) == 3 and all(c == pytest.approx(100.0) for c in closes)
    # the record and the leaderboard are in real names and real dates
    assert board.samples[0].start.year == 2017
    assert config.symbols == ("SPX", "IXIC", "MSFT")
    assert replay_battle(store, "blind").identical


def test_budget_is_enforced_fail_closed(store):
    config = small_config(models=("scripted:spender", "rules:supertrend"), budget_usd=0.025)
    spender = Scripted("spender", buy_first, usd=0.01)
    board = run_battle(config, store, run_id="budget",
                       backends=factory({"scripted:spender": lambda: spender}))  # fmt: skip
    score = next(s for s in board.samples[0].scores if s.name == "scripted:spender")
    # calls 1-2 are within $0.025; call 3 crosses it: charged, its tool calls NOT executed;
    # every later cycle aborts before calling the model at all
    assert len(spender.requests) == 3 and score.model_calls == 3
    assert score.cost_usd == pytest.approx(0.03)
    assert score.status == "over budget" and score.failures == 14
    assert score.net_return_pct == pytest.approx(100 * ((score.end_equity - 0.03) / 100_000 - 1))
    log = decision_log(store, "budget.s1.c0")
    assert {d["symbol"]: d["action"] for d in log[0]["decisions"]} == {"SPX": "hold", "MSFT": "buy"}
    assert all(d["action"] == "abort" for e in log[1:] for d in e["decisions"])
    assert log[1]["outcome"]["error_type"] == "BudgetExceededError"
    orders = [o for e in log for o in e["orders"]]
    assert len(orders) == 1  # the over-budget reply's order was never sent
    rules = next(s for s in board.samples[0].scores if s.name == "rules:supertrend")
    assert rules.status == "ok" and rules.failures == 0  # the budget is per competitor


def test_failing_and_crashing_competitors_are_marked_never_hold(store):
    config = small_config(models=("scripted:down", "scripted:bug", "rules:supertrend"))
    models = {"scripted:down": Failing, "scripted:bug": Crashing}
    board = run_battle(config, store, run_id="fail", backends=factory(models))
    scores = {s.name: s for s in board.samples[0].scores}
    down, bug = scores["scripted:down"], scores["scripted:bug"]
    assert down.status == bug.status == "failed"
    assert down.failures == bug.failures == 15
    assert down.model_errors == down.model_calls == 15  # each failure recorded as a call
    assert down.end_equity == bug.end_equity == 100_000.0
    for run in ("fail.s1.c0", "fail.s1.c1"):
        actions = {d["action"] for e in decision_log(store, run) for d in e["decisions"]}
        assert actions == {"abort"}
    assert scores["rules:supertrend"].status == "ok"  # the others trade on
    assert load_battle(store, "fail").run.status.value == "completed"
