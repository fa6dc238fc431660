"""Rendered prompts compared with committed snapshots, and the per-decision token budget.

Regenerate the snapshots after an intended change with
``TRADEPIT_UPDATE_PROMPT_SNAPSHOTS=1 .venv/bin/pytest tests/unit/prompts``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.unit.tools.harness import Caller, Market, make_deps

from tradepit.agent.deps import AgentDeps
from tradepit.agent.snapshot import MarketSnapshot, build_snapshot
from tradepit.domain.errors import ConfigError
from tradepit.domain.models import TradingState
from tradepit.memory.models import Entry, Kind, Outcome, Recalled
from tradepit.memory.reflections import template_lesson
from tradepit.prompts import (
    decision_prompt,
    decision_symbols,
    parse_decisions,
    render,
    system_prompt,
)
from tradepit.prompts.loader import (
    CHAT_MEMORY_TOKENS,
    DECISION_MEMORY_TOKENS,
    MEMORY_LINE_CHARS,
)
from tradepit.tools.registry import (
    count_tokens,
    default_tools,
    openai_schemas,
    text_tokens,
    tools_by_name,
)

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


T0 = datetime(2014, 11, 3, 21, tzinfo=UTC)


def _lesson(i: int) -> Recalled:
    """A lesson as the memory writes it, about decision `i` (figures vary with `i`)."""
    at = T0 + timedelta(days=3 * i)
    move = (-1) ** i * (0.004 + 0.013 * i)
    decision = Entry(
        id=f"d{i}", namespace="agent:x", kind=Kind.DECISION, symbol="SPX", created_at=at,
        text="", importance=0.4, action="buy" if i % 3 else "sell",
        situation={"price": 2000.0 + 7 * i, "rsi14": 35.0 + 4 * i, "supertrend_dir": (-1) ** i,
                   "macd_hist": 1.5 - i / 3, "ret_20d": move / 2},
    )  # fmt: skip
    exposure = 1 if decision.action == "buy" else -1
    outcome = Outcome(
        entry_price=2000.0 + 7 * i, exit_price=(2000.0 + 7 * i) * (1 + move), exposure=exposure,
        realised_return=exposure * move, buy_hold_return=move, excess_return=(exposure - 1) * move,
        horizon_days=7, known_at=at + timedelta(days=7),
    )  # fmt: skip
    text = template_lesson(decision, outcome)
    entry = Entry(
        id=f"l{i}", namespace="agent:x", kind=Kind.LESSON, symbol="SPX",
        created_at=at + timedelta(days=7), text=text, importance=0.6,
    )  # fmt: skip
    return Recalled(entry=entry, similarity=0.9 - i / 100, recency=1.0, score=0.9 - i / 100)


MEMORIES = [_lesson(i) for i in range(12)]


def _section(prompt: str, title: str) -> str:
    start = prompt.index(f"\n\n{title}")
    end = prompt.find("\n\n", start + 2)
    return prompt[start:] if end < 0 else prompt[start:end]


def test_decision_prompt_with_memories(world) -> None:
    _, snap = world
    check_snapshot("decision_with_memory", decision_prompt(snap, ["SPX"], MEMORIES[:2]))


def test_memory_sections_fill_their_budgets_best_first(world) -> None:
    deps, snap = world
    prompt = decision_prompt(snap, None, MEMORIES)
    section = _section(prompt, "From your memory")
    assert DECISION_MEMORY_TOKENS - 100 < text_tokens(section) <= DECISION_MEMORY_TOKENS
    shown = [m for m in MEMORIES if m.entry.text[:60] in section]
    assert shown == MEMORIES[: len(shown)] and 2 <= len(shown) < len(MEMORIES)
    assert decision_symbols(prompt) == ("SPX", "MSFT")  # the section names no symbols line
    chat = system_prompt(deps, "chat", memories=MEMORIES)
    assert text_tokens(_section(chat, "From your memory of this user")) <= CHAT_MEMORY_TOKENS


def test_the_decision_prompt_with_memories_fits_the_budget(world) -> None:
    """System prompt + a two-symbol decision prompt with a full memory section + every
    tool's schema (memory tools included): the whole per-decision request."""
    deps, snap = world
    text = system_prompt(deps, "cycle") + decision_prompt(snap, None, MEMORIES)
    assert count_tokens(text, openai_schemas(default_tools())) <= DECISION_BUDGET


def test_long_memories_are_cut_in_the_prompt(world) -> None:
    _, snap = world
    long = MEMORIES[0].model_copy(
        update={"entry": MEMORIES[0].entry.model_copy(update={"text": "word " * 400})}
    )
    (line,) = [x for x in decision_prompt(snap, None, [long]).splitlines() if "word" in x]
    assert len(line) == MEMORY_LINE_CHARS and line.endswith("…")
