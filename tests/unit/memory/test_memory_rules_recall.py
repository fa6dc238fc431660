"""`rules:<strategy>+recall` and the setups the recall tool reports: an entry whose similar
past setups mostly moved against it is skipped; everything else trades as the plain rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.unit.tools.harness import Caller, Market, converse, make_deps

from tradepit.agent.backends import make_backend
from tradepit.agent.backends.rules import RulesBackend
from tradepit.agent.backends.rules_recall import RulesRecallBackend
from tradepit.agent.snapshot import build_snapshot
from tradepit.prompts import decision_prompt, parse_decisions, system_prompt
from tradepit.tools.recall import SETUP_RADIUS, situation_now
from tradepit.tools.registry import default_tools, tools_by_name

NS = "agent:run-1"


def test_specs() -> None:
    recall = make_backend("rules:macd_rsi+recall")
    assert isinstance(recall, RulesRecallBackend) and recall.name == "rules:macd_rsi+recall"
    assert make_backend("rules:+recall").name == "rules:supertrend+recall"
    assert type(make_backend("rules:macd_rsi")) is RulesBackend
    with pytest.raises(ValueError, match="k_min"):
        RulesRecallBackend(k_min=0)


@pytest.fixture
def market() -> Market:
    market = Market()
    market.step(2)  # SPX: supertrend wants a short on the 2015-01-05 bar, the account is flat
    return market


def _deps(market: Market, memory):
    return make_deps(
        market, mode="cycle", symbols=("SPX",), run_id="run-1", memory=memory.scope(NS)
    )


def _past_setups(memory, deps, moves, known_after_now: bool = False, **situation) -> None:
    """Decisions in the situation SPX is in now (same vector), their outcomes the `moves`."""
    now = deps.clock.now()
    base = situation_now(deps, "SPX").model_copy(update=situation)
    for i, move in enumerate(moves):
        # decided before now; the 7-day horizon ends before now, or (known_after_now) after
        at = now - (timedelta(days=3, hours=i) if known_after_now else timedelta(days=40 - i))
        memory.record_decision(NS, base.model_copy(update={"at": at}), "hold", at)
        price = base.price * (1 + move)
        memory.resolve_outcomes(now + timedelta(days=10), lambda s, w, p=price: p, NS)


def _cycle(backend, deps):
    prompt = decision_prompt(build_snapshot(deps, deps.symbols))
    system = [{"role": "system", "content": system_prompt(deps)}]
    answer, _, results = converse(backend, deps, prompt, system)
    (decision,) = parse_decisions(answer)
    return decision, [r for r in results if r.name == "place_order"]


def test_an_entry_against_mostly_losing_setups_is_skipped(market, memory) -> None:
    deps = _deps(market, memory)
    _past_setups(memory, deps, [0.02, 0.03, 0.01, -0.01, 0.04, 0.02])  # 5 of 6 rose
    decision, orders = _cycle(RulesRecallBackend("supertrend"), deps)
    assert orders == [] and decision.action == "hold"
    assert "entry skipped: 5 of 6 similar past setups moved against a short" in decision.rationale


def test_plain_rules_enter_in_the_same_situation(market, memory) -> None:
    deps = _deps(market, memory)
    _past_setups(memory, deps, [0.02, 0.03, 0.01, -0.01, 0.04, 0.02])
    decision, (order,) = _cycle(RulesBackend("supertrend"), deps)
    assert decision.action == "sell" and order.output["outcome"] == "submitted"


@pytest.mark.parametrize(
    ("moves", "known_after_now"),
    [
        ([-0.02, -0.03, 0.01, -0.01, -0.04, -0.02], False),  # the short would have won
        ([0.02, 0.03, 0.01, 0.04], False),  # fewer than k_min known setups
        ([0.02, 0.03, 0.01, 0.01, 0.04, 0.02], True),  # outcomes not known yet: invisible
        ([0.02, 0.01, 0.03, -0.01, -0.02, -0.03], False),  # half against: not "mostly"
    ],
)
def test_otherwise_it_enters_like_the_plain_rules(market, memory, moves, known_after_now):
    deps = _deps(market, memory)
    _past_setups(memory, deps, moves, known_after_now)
    decision, (order,) = _cycle(RulesRecallBackend("supertrend"), deps)
    assert decision.action == "sell" and order.output["outcome"] == "submitted"


def test_without_memory_it_trades_as_the_plain_rules(market) -> None:
    deps = make_deps(market, mode="cycle", symbols=("SPX",), run_id="run-1")
    decision, (order,) = _cycle(RulesRecallBackend("supertrend"), deps)
    assert decision.action == "sell" and order.output["outcome"] == "submitted"


def test_recall_reports_the_similar_setups(market, memory) -> None:
    deps = _deps(market, memory)
    _past_setups(memory, deps, [0.02, -0.01, 0.03])
    now_trend = situation_now(deps, "SPX").supertrend_dir
    _past_setups(memory, deps, [0.05], supertrend_dir=-now_trend)  # 2 apart: not similar
    call = Caller(deps, tools_by_name(default_tools()))
    setups = call("recall", {"query": "SPX", "symbol": "spx"})["setups"]
    assert (setups["n"], setups["up"], setups["down"]) == (3, 2, 1)
    assert setups["mean_move_pct"] == pytest.approx(100 * 0.04 / 3, abs=0.01)
    distances = [s["distance"] for s in setups["nearest"]]
    assert len(distances) == 3 and distances == sorted(distances)
    assert all(d <= SETUP_RADIUS for d in distances)
    assert "setups" not in call("recall", {"query": "SPX"})  # only with a symbol
