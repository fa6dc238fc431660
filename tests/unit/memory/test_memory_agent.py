"""The memory inside the agent: cycles journal their decisions, outcomes arrive once the clock
has passed the horizon (priced point-in-time), and the prompts carry the relevant memories."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from tests.unit.agent.fakes import Scripted, make_world, turn
from tests.unit.memory.conftest import make_memory

from tradepit.agent.backends.rules import RulesBackend
from tradepit.agent.loop import LoopPlan, RunLoop
from tradepit.agent.memory import exposure_after, journal_action, price_lookup
from tradepit.agent.service import Tick
from tradepit.bootstrap import bundled_source
from tradepit.memory.errors import MemoryUnavailableError
from tradepit.memory.models import Kind

START, END = datetime(2018, 10, 1, tzinfo=UTC), datetime(2018, 10, 19, 22, tzinfo=UTC)


@pytest.fixture
def memory(tmp_path, embedding):
    (tmp_path / "mem").mkdir()
    memory = make_memory(tmp_path / "mem", embedding, ephemeral=True, horizon=timedelta(days=3))
    yield memory
    memory.close()


def _close_by(symbol: str, when: datetime) -> float:
    """The close of the last bundled bar complete at `when`, a session's close (the cycles
    run at the close, when that day's bar is complete), computed from the source."""
    frame = bundled_source().frame(symbol)
    return float(frame[frame.index <= pd.Timestamp(when).normalize()]["close"].iloc[-1])


def _run(tmp_path, memory, backend, symbols=("SPX",), end=END):
    world = make_world(tmp_path, at=START)
    scope = memory.scope("agent:r1")
    service = world.service(backend, symbols=symbols, memory=scope)
    plan = LoopPlan("r1", backend.name, symbols, "1Day", START, end)
    RunLoop(plan, service, world.clock, world.feed, world.broker, world.store).run()
    return world


def test_a_run_journals_every_decision_and_scores_it_after_the_horizon(tmp_path, memory):
    world = _run(tmp_path, memory, RulesBackend("supertrend"))
    now = world.clock.now()
    decisions = memory.entries("agent:r1", [Kind.DECISION], limit=None)
    recorded = world.store.list_decisions("r1")
    assert len(decisions) == len(recorded) >= 14  # one per cycle and symbol
    by_time = {r.decision.timestamp: r.decision.action for r in recorded}
    assert {e.created_at: e.action for e in decisions} == by_time  # the tools' actions
    assert {"buy", "sell", "close"} & set(by_time.values())  # October 2018 trades
    resolved = [e for e in decisions if e.outcome is not None]
    assert {e.id for e in resolved} == {e.id for e in decisions if e.horizon_at <= now}
    for e in resolved:
        assert e.situation["price"] == _close_by("SPX", e.created_at)
        assert e.outcome.exit_price == _close_by("SPX", e.horizon_at)  # point-in-time
        assert e.outcome.known_at == e.horizon_at <= now
    lessons = memory.entries("agent:r1", [Kind.LESSON], limit=None)
    assert sorted(x.source_id for x in lessons) == sorted(e.id for e in resolved)


def test_price_lookup_uses_only_bars_complete_at_the_time(tmp_path):
    world = make_world(tmp_path, at=datetime(2018, 10, 31, 21, tzinfo=UTC))
    lookup = price_lookup(world.feed)
    for when in (datetime(2018, 10, 15, 20, tzinfo=UTC), datetime(2018, 10, 27, tzinfo=UTC)):
        assert lookup("SPX", when) == _close_by("SPX", when)
    assert lookup("SPX", datetime(1990, 1, 1, tzinfo=UTC)) is None  # before the data


def _step(name: str, ok: bool = True, **output) -> dict:
    return {"name": name, "ok": ok, "output": output, "symbol": "SPX"}


PLACED = {"outcome": "submitted"}


@pytest.mark.parametrize(
    ("before", "steps", "after", "action"),
    [
        (0, [], 0, "hold"),
        (0, [_step("place_order", order={"side": "buy"}, **PLACED)], 1, "buy"),
        (1, [_step("close_position")], 0, "close"),
        (1, [_step("close_position"), _step("place_order", order={"side": "sell"}, **PLACED)],
         -1, "sell"),
        (1, [_step("place_order", order={"side": "sell"}, **PLACED)], 0, "close"),
        (-1, [_step("place_order", order={"side": "buy"}, **PLACED)], 0, "close"),
        (1, [_step("place_order", order={"side": "buy"}, **PLACED)], 1, "buy"),  # resized
        (0, [_step("place_order", outcome="denied_by_risk")], 0, "hold"),
        (0, [_step("place_order", ok=False)], 0, "hold"),
    ],
)  # fmt: skip
def test_the_journalled_action_is_what_the_tools_did_to_the_exposure(before, steps, after, action):
    assert exposure_after(before, steps) == after
    assert journal_action(before, steps) == action


def _cycle_with_memory(tmp_path, memory, model):
    world = make_world(tmp_path, at=datetime(2018, 10, 15, 21, tzinfo=UTC))
    service = world.service(model, symbols=("SPX",), memory=memory.scope("agent:r2"))
    return world, service.cycle("r2", Tick(cycle=0))


def test_the_decision_prompt_carries_relevant_lessons_never_later_ones(tmp_path, memory):
    now = datetime(2018, 10, 15, 21, tzinfo=UTC)
    memory.remember("agent:r2", "Lesson on SPX: trend down, momentum falling. Rule: stay out.",
                    now - timedelta(days=3), kind=Kind.LESSON, symbol="SPX")  # fmt: skip
    memory.remember("agent:r2", "Lesson on SPX: written tomorrow, must not show.",
                    now + timedelta(days=1), kind=Kind.LESSON, symbol="SPX")  # fmt: skip
    memory.remember("agent:other", "Lesson on SPX: another agent's lesson.", now - timedelta(1),
                    kind=Kind.LESSON, symbol="SPX")  # fmt: skip
    model = Scripted(turn("DECISION: SPX hold - waiting"))
    _, reply = _cycle_with_memory(tmp_path, memory, model)
    assert reply.status == "answered"
    prompt = model.requests[0][-1]["content"]
    assert "From your memory" in prompt and "Rule: stay out." in prompt
    assert "tomorrow" not in prompt and "another agent" not in prompt


def test_without_memories_the_decision_prompt_has_no_memory_section(tmp_path, memory):
    model = Scripted(turn("DECISION: SPX hold - nothing"))
    _, reply = _cycle_with_memory(tmp_path, memory, model)
    assert reply.status == "answered" and "memory" not in model.requests[0][-1]["content"]
    (entry,) = memory.entries("agent:r2", [Kind.DECISION])
    assert (entry.action, entry.rationale, entry.symbol) == ("hold", "nothing", "SPX")


def test_chat_system_prompt_carries_the_users_notes_only(tmp_path, memory):
    world = make_world(tmp_path)
    at = world.clock.now() - timedelta(days=2)
    memory.remember("user:alice", "Never hold more than 3 tech stocks.", at)
    memory.remember("user:bob", "I like tech stocks with high momentum.", at)
    model = Scripted(turn("Noted."), turn("Noted."))
    alice = world.service(model, memory=memory.scope("user:alice"))
    alice.chat("alice", "Should I add more tech stocks?")
    system = model.requests[0][0]["content"]
    assert "Never hold more than 3 tech stocks" in system and "momentum" not in system
    world.service(model, memory=memory.scope("user:carol")).chat("carol", "tech stocks?")
    assert "From your memory" not in model.requests[1][0]["content"]


@dataclass
class BrokenScope:
    """A memory whose vector store is down."""

    namespace: str = "agent:r2"

    @property
    def memory(self):
        return self

    def entries(self, *args, **kwargs):
        return ["something"]

    def _down(self, *args, **kwargs):
        raise MemoryUnavailableError("chromadb server unreachable")

    recall = record_decision = resolve_outcomes = _down


def test_an_unreachable_memory_is_logged_and_the_cycle_goes_on(tmp_path, caplog):
    world = make_world(tmp_path, at=datetime(2018, 10, 15, 21, tzinfo=UTC))
    model = Scripted(turn("DECISION: SPX hold - fine"))
    service = world.service(model, symbols=("SPX",), memory=BrokenScope())
    with caplog.at_level(logging.ERROR, logger="tradepit.agent.memory"):
        reply = service.cycle("r3", Tick(cycle=0))
    assert reply.status == "answered"
    messages = [r.getMessage() for r in caplog.records]
    assert any("deciding without it" in m for m in messages)
    assert any("memory not updated" in m for m in messages)
    assert world.store.list_decisions("r3")  # the trading record is written regardless
