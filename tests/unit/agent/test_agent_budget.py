"""Budget limits and the decisions recorded from a turn's steps."""

from __future__ import annotations

import pytest
from tests.unit.agent.fakes import World

from tradepit.agent.budget import Budget, BudgetLimits, new_usage
from tradepit.agent.errors import BudgetExceededError
from tradepit.agent.recording import build_decisions, request_key, step_action


def test_limits_are_inclusive_and_name_what_was_exceeded():
    budget = Budget(BudgetLimits(max_tokens_per_cycle=100, max_usd_per_cycle=1.0))
    usage = new_usage() | {"tokens": 100, "usd": 1.0}
    budget.check(usage)  # at the limit is allowed
    with pytest.raises(BudgetExceededError) as over:
        budget.check(usage | {"tokens": 101})
    assert (over.value.what, over.value.used, over.value.limit) == ("tokens per cycle", 101, 100)
    with pytest.raises(BudgetExceededError, match="dollars per cycle"):
        budget.check(usage | {"usd": 1.01})


def test_run_totals_accumulate_across_cycles():
    budget = Budget(BudgetLimits(max_tokens_per_run=1000), run_tokens=900)
    budget.check(new_usage())
    budget.charge(101, 0.0)
    with pytest.raises(BudgetExceededError, match="tokens per run"):
        budget.check(new_usage())


def test_rounds():
    budget = Budget(BudgetLimits(max_tool_rounds=2))
    budget.check_round(new_usage() | {"rounds": 2})
    with pytest.raises(BudgetExceededError, match="tool rounds"):
        budget.check_round(new_usage() | {"rounds": 3})


def _step(name, ok=True, output=None, approval=None, symbol="SPX"):
    return {"name": name, "ok": ok, "output": output, "approval": approval, "symbol": symbol}


def test_step_actions_follow_the_broker_not_the_model():
    order = {"side": "sell"}
    for outcome in ("submitted", "filled", "duplicate"):
        placed = _step("place_order", output={"outcome": outcome, "order": order})
        assert step_action(placed) == "sell"
    assert step_action(_step("place_order", output={"outcome": "denied_by_risk"})) == "denied"
    assert step_action(_step("place_order", output={"outcome": "rejected_by_broker"})) == "rejected"
    assert step_action(_step("place_order", ok=False)) == "failed"
    assert step_action(_step("close_position", output={})) == "close"
    assert step_action(_step("close_position", output={"outcome": "submitted"})) == "close"
    assert step_action(_step("close_position", output={"outcome": "canceled"})) == "close"
    assert step_action(_step("close_position", output={"outcome": "denied_by_risk"})) == "denied"
    assert step_action(_step("cancel_order", output={})) == "cancel"
    refused = _step("place_order", approval={"approved": False})
    assert step_action(refused) == "rejected_by_user"


def test_chat_turns_without_orders_are_not_decisions(world: World):
    deps = world.deps(mode="chat", run_id="chat-x", cycle=4)
    answered = {"outcome": {"status": "answered"}, "answer": "RSI is 41", "steps": []}
    assert build_decisions(deps, answered, "m") == []
    aborted = {"outcome": {"status": "aborted", "error_type": "E", "reason": "r"}, "steps": []}
    [(decision, payload)] = build_decisions(deps, aborted, "m")
    assert (decision.action, decision.symbol, decision.rationale) == ("abort", None, "E: r")
    assert payload["outcome"]["error_type"] == "E"


def test_a_cycles_action_is_the_order_that_went_out(world: World):
    """Halted: the close passes the gate, the reverse entry is denied. The account was
    closed, so the decision says close (the denial stays in the payload), not denied."""
    deps = world.deps(mode="cycle", run_id="r", cycle=1, symbols=("SPX",))
    closed = _step("close_position", output={"outcome": "submitted"})
    denied = _step("place_order", output={"outcome": "denied_by_risk"})
    sold = _step("place_order", output={"outcome": "submitted", "order": {"side": "sell"}})

    def action(*steps):
        state = {"outcome": {"status": "answered"}, "answer": "", "steps": list(steps)}
        [(decision, _)] = build_decisions(deps, state, "m")
        return decision.action

    assert action(closed, denied) == "close"
    assert action(denied, closed) == "close"
    assert action(closed, sold) == "sell"
    assert action(denied) == "denied"
    assert action(_step("place_order", ok=False), denied) == "denied"


def test_request_key_ignores_the_system_prompt():
    a = [{"role": "system", "content": "t=1"}, {"role": "user", "content": "hi"}]
    b = [{"role": "system", "content": "t=2"}, {"role": "user", "content": "hi"}]
    assert request_key(a) == request_key(b)
    assert request_key(a) != request_key([*a, {"role": "assistant", "content": "x"}])
