"""Rendered prompts compared with committed snapshots, and the per-decision token budget.

Regenerate the snapshots after an intended change with
``TRADEPIT_UPDATE_PROMPT_SNAPSHOTS=1 .venv/bin/pytest tests/unit/prompts``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.unit.tools.harness import Caller, Market, make_deps

from tradepit.agent.deps import AgentDeps
from tradepit.agent.snapshot import MarketSnapshot, build_snapshot
from tradepit.domain.errors import ConfigError
from tradepit.domain.models import TradingState
from tradepit.prompts import (
    decision_prompt,
    decision_symbols,
    parse_decisions,
    render,
    system_prompt,
)
from tradepit.tools.registry import count_tokens, default_tools, openai_schemas, tools_by_name

SNAPSHOTS = Path(__file__).with_name("snapshots")
UPDATE = os.environ.get("TRADEPIT_UPDATE_PROMPT_SNAPSHOTS") == "1"
DECISION_BUDGET = 2000


@pytest.fixture(scope="module")
def world() -> tuple[AgentDeps, MarketSnapshot]:
    market = Market()
    market.step(3)
    deps = make_deps(market, mode="cycle", symbols=("SPX", "MSFT"), run_id="run-7", cycle=4)
    Caller(deps, tools_by_name(default_tools()))(
        "place_order", {"symbol": "MSFT", "side": "buy", "qty": 10}
    )
    market.step()
    return deps, build_snapshot(deps, deps.symbols)


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}; set TRADEPIT_UPDATE_PROMPT_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8")


def test_system_cycle(world) -> None:
    deps, _ = world
    check_snapshot("system_cycle", system_prompt(deps, "cycle"))


def test_system_chat(world) -> None:
    deps, _ = world
    check_snapshot("system_chat", system_prompt(deps, "chat"))


def test_system_prompt_shows_the_kill_switch(world) -> None:
    deps, _ = world
    halted = make_deps(Market(), manual_state=TradingState.HALTED)
    assert "Trading state: halted" in system_prompt(halted, "cycle")
    assert "Trading state: active" in system_prompt(deps, "cycle")


def test_decision_prompt(world) -> None:
    _, snap = world
    check_snapshot("decision_two_symbols", decision_prompt(snap))
    check_snapshot("decision_one_symbol", decision_prompt(snap, ["SPX"]))


def test_prompts_carry_the_clock_time_and_the_limits(world) -> None:
    deps, snap = world
    stamp = deps.clock.now().strftime("%Y-%m-%d %H:%M")
    assert stamp in system_prompt(deps) and stamp in decision_prompt(snap)
    assert "max position 10% of equity" in system_prompt(deps)
    assert "MSFT 10 @" in decision_prompt(snap)  # the position


def test_decision_prompt_names_its_symbols(world) -> None:
    _, snap = world
    assert decision_symbols(decision_prompt(snap)) == ("SPX", "MSFT")
    assert decision_symbols(decision_prompt(snap, ["MSFT"])) == ("MSFT",)
    assert decision_symbols("what is the price of MSFT") is None


def test_per_decision_prompt_fits_the_budget(world) -> None:
    deps, snap = world
    text = system_prompt(deps, "cycle") + decision_prompt(snap, ["SPX"])
    tokens = count_tokens(text, openai_schemas(default_tools()))
    assert count_tokens(text) < tokens <= DECISION_BUDGET


def test_parse_decisions() -> None:
    text = (
        "Looking at the data.\n"
        "DECISION: SPX buy - supertrend flipped up\n"
        "decision: msft HOLD: nothing changed\n"
        "DECISION: IXIC close \u2014 stop hit\n"
        "DECISION: BAD maybe - not an action\n"
    )
    assert [tuple(d) for d in parse_decisions(text)] == [
        ("SPX", "buy", "supertrend flipped up"),
        ("MSFT", "hold", "nothing changed"),
        ("IXIC", "close", "stop hit"),
    ]


def test_missing_template_value_is_an_error() -> None:
    with pytest.raises(ConfigError, match="time"):
        render("decision", symbols="SPX")
    with pytest.raises(ConfigError, match="missing"):
        render("no_such_template")
