"""Decision journal: entries, outcomes after the horizon, lessons, persistence."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import inspect
from tests.unit.memory.conftest import T0, day, restart, situation

from tradepit.domain.errors import TradepitError
from tradepit.domain.models import OrderRequest, RiskReason, RiskVerdict, Side
from tradepit.memory.models import Kind
from tradepit.memory.outcomes import exposure_after, score
from tradepit.memory.reflections import template_lesson
from tradepit.memory.situation import SITUATION_FEATURES, Situation

NS = "agent:main"


def prices(path: dict[str, float]):
    """A price lookup from {iso date: price}; None for dates it does not know."""
    return lambda symbol, when: path.get(when.date().isoformat())


def test_a_decision_is_journalled_with_its_situation_and_risk(memory):
    request = OrderRequest(symbol="MSFT", side=Side.BUY, qty=Decimal(10))
    verdict = RiskVerdict(
        approved=False, request=request, reasons=(RiskReason(code="max_position", message="x"),)
    )
    sit = situation(rsi14=81.0, ret_5d=0.06, ret_20d=0.12, atr_pct=0.015)
    entry = memory.record_decision(
        NS, sit, "BUY", T0, rationale="breakout", risk=verdict, run_id="r1"
    )
    assert entry.kind is Kind.DECISION and entry.action == "buy" and entry.run_id == "r1"
    assert "RSI 81 (overbought)" in entry.text and "denied (max_position)" in entry.text
    assert entry.horizon_at == T0 + timedelta(days=7) and entry.outcome is None
    assert entry.risk == {"approved": False, "codes": ["max_position"], "adjusted": False}
    (stored,) = memory.entries(NS)
    assert stored == entry
    assert "memory_entries" in inspect(memory.store.engine).get_table_names()


def test_recording_the_same_decision_twice_is_a_no_op(memory):
    first = memory.record_decision(NS, situation(), "buy", T0)
    again = memory.record_decision(NS, situation(), "buy", T0)
    assert again.id == first.id and len(memory.entries(NS)) == 1


def test_outcomes_are_filled_only_after_the_horizon(memory):
    entry = memory.record_decision(NS, situation(price=100.0), "buy", T0)
    lookup = prices({day(7).date().isoformat(): 95.0})
    assert memory.resolve_outcomes(day(7) - timedelta(seconds=1), lookup) == []
    (done,) = memory.resolve_outcomes(day(7), lookup)
    assert done.id == entry.id
    o = done.outcome
    assert o.known_at == day(7) and o.exposure == 1
    assert o.realised_return == pytest.approx(-0.05) and o.excess_return == pytest.approx(0.0)
    assert memory.resolve_outcomes(day(30), lookup) == []  # resolved once


def test_a_decision_without_a_price_yet_stays_pending(memory):
    memory.record_decision(NS, situation(), "sell", T0)
    assert memory.resolve_outcomes(day(8), prices({})) == []
    (done,) = memory.resolve_outcomes(day(9), prices({day(7).date().isoformat(): 110.0}))
    assert done.outcome.realised_return == pytest.approx(-0.10)  # short lost 10 %


@pytest.mark.parametrize(
    ("action", "before", "exposure", "realised", "excess"),
    [
        ("buy", 0, 1, 0.10, 0.0),
        ("sell", 0, -1, -0.10, -0.20),
        ("close", 1, 0, 0.0, -0.10),
        ("hold", 1, 1, 0.10, 0.0),
        ("hold", 0, 0, 0.0, -0.10),
    ],
)
def test_outcome_returns_follow_the_exposure(action, before, exposure, realised, excess):
    o = score(action, before, 100.0, 110.0, T0, day(7))
    assert exposure_after(action, before) == o.exposure == exposure
    assert o.buy_hold_return == pytest.approx(0.10)
    assert (o.realised_return, o.excess_return) == (pytest.approx(realised), pytest.approx(excess))
    assert o.horizon_days == pytest.approx(7.0)


def test_a_templated_lesson_is_stored_when_the_outcome_arrives(memory):
    sit = situation(rsi14=78.0, supertrend_dir=-1, macd_hist=-0.4, ret_20d=0.09)
    memory.record_decision(NS, sit, "buy", T0, rationale="momentum")
    memory.resolve_outcomes(day(7), prices({day(7).date().isoformat(): 96.0}))
    (lesson,) = memory.entries(NS, kinds=[Kind.LESSON])
    assert lesson.created_at == day(7) and lesson.symbol == "MSFT"
    assert "lost -4.0%" in lesson.text and "RSI overbought, trend down" in lesson.text
    assert "Rule: avoid going long when RSI overbought" in lesson.text
    assert memory.entries(NS, kinds=[Kind.LESSON], as_of=day(7) - timedelta(microseconds=1)) == []


def test_an_llm_lesson_writer_is_used_and_a_failing_one_falls_back(open_memory):
    calls = []

    def writer(entry, outcome):
        calls.append((entry.id, outcome.realised_return))
        return f"Model lesson: {entry.symbol} {outcome.realised_return:+.2f}"

    memory = open_memory(lesson_writer=writer)
    entry = memory.record_decision(NS, situation(), "buy", T0)
    memory.resolve_outcomes(day(7), prices({day(7).date().isoformat(): 110.0}))
    assert calls == [(entry.id, pytest.approx(0.10))]
    assert [e.text for e in memory.entries(NS, kinds=[Kind.LESSON])] == ["Model lesson: MSFT +0.10"]

    def broken(entry, outcome):
        raise TradepitError("model unavailable")

    memory.lesson_writer = broken
    memory.record_decision(NS, situation(symbol="SPX"), "close", T0)
    memory.resolve_outcomes(day(7), prices({day(7).date().isoformat(): 110.0}))
    texts = [e.text for e in memory.entries(NS, kinds=[Kind.LESSON])]
    assert any(t.startswith("Lesson on SPX: CLOSE") for t in texts)


def test_template_rules_cover_flat_decisions():
    entry = pytest.importorskip("tradepit.memory.models").Entry(
        id="x", namespace=NS, kind=Kind.DECISION, symbol="SPX", created_at=T0, text="t",
        importance=0.4, action="close", situation={"rsi14": 25.0},
    )  # fmt: skip
    missed = template_lesson(entry, score("close", 1, 100.0, 104.0, T0, day(7)))
    assert "stayed flat" in missed and "staying out missed a rise when RSI oversold" in missed
    avoided = template_lesson(entry, score("close", 1, 100.0, 95.0, T0, day(7)))
    assert "staying out avoided a fall" in avoided


def test_situation_vector_is_bounded_and_ordered():
    sit = Situation(
        symbol="X", at=T0, price=50.0, rsi14=80.0, macd_hist=1.0, supertrend_dir=-1,
        ret_5d=0.2, ret_20d=-0.5, atr_pct=0.01,
    )  # fmt: skip
    vec = sit.vector()
    assert len(vec) == len(SITUATION_FEATURES) and all(-1 <= v <= 1 for v in vec)
    assert vec[0] == pytest.approx(0.6) and vec[2] == -1.0 and vec[3] > 0.99 and vec[4] < -0.99
    assert Situation(symbol="X", at=T0, price=50.0).vector() == [0.0, 0.0, 0.0, 0.0, 0.0, -0.0]


def test_situation_from_a_snapshot_view():
    class View:
        symbol, bar_time, close = "MSFT", T0, Decimal("110")
        rsi14, macd_hist, supertrend_dir, atr14 = 55.0, 0.3, 1, 2.2

    closes = [100.0] * 15 + [105.0] * 5 + [110.0] * 5
    sit = Situation.from_view(View(), closes, position=-3)
    assert sit.ret_5d == pytest.approx(110 / 105 - 1) and sit.ret_20d == pytest.approx(0.10)
    assert sit.atr_pct == pytest.approx(0.02) and sit.position == -1
    assert Situation.from_view(View()).ret_5d is None


def test_situation_from_bars_matches_the_agents_snapshot():
    """The journal and the setup lookup (from bars) see what the decision prompt shows."""
    from tests.unit.tools.harness import Market, make_deps

    from tradepit.agent.snapshot import symbol_view
    from tradepit.tools.recall import situation_now

    deps = make_deps(Market())
    view = symbol_view(deps, "MSFT")
    sit = situation_now(deps, "MSFT", position=5)
    assert (sit.at, sit.price, sit.position, sit.supertrend_dir) == (
        view.bar_time, float(view.close), 1, view.supertrend_dir,
    )  # fmt: skip
    assert sit.rsi14 == pytest.approx(view.rsi14, abs=0.05)  # warm-up: 250 vs 400 bars
    assert sit.macd_hist == pytest.approx(view.macd_hist, abs=1e-3)
    assert sit.atr_pct == pytest.approx(view.atr14 / float(view.close), rel=1e-3)
    closes = deps.market.get_bars("MSFT", "1Day")["close"].to_numpy()
    assert sit.ret_20d == pytest.approx(closes[-1] / closes[-21] - 1)
    few = Situation.from_bars("MSFT", deps.market.get_bars("MSFT", "1Day").iloc[:3])
    assert few.rsi14 is None and few.supertrend_dir is None and len(few.vector()) == 6


def test_memory_persists_across_restarts(open_memory, tmp_path):
    first = open_memory()
    decision = first.record_decision(NS, situation(), "buy", T0, rationale="breakout on volume")
    first.remember("user:alice", "Never hold more than 3 tech stocks.", T0)
    first.resolve_outcomes(day(7), prices({day(7).date().isoformat(): 105.0}))
    first.close()
    restart()

    second = open_memory(tmp_path)
    assert second.index.client is not first.index.client
    hits = second.recall("breakout on volume", namespace=NS, as_of=day(8), k=3)
    top = next(h.entry for h in hits if h.entry.kind is Kind.DECISION)
    assert top.id == decision.id and top.outcome.realised_return == pytest.approx(0.05)
    (note,) = second.recall("tech stock limit", namespace="user:alice", as_of=day(8), k=1)
    assert note.entry.text == "Never hold more than 3 tech stocks."
    setups = second.similar_setups(situation().vector(), namespace=NS, as_of=day(8))
    assert [s.entry_id for s in setups] == [decision.id]


@pytest.mark.postgres
def test_journal_on_postgresql(embedding):
    """The memory table works on PostgreSQL too (TRADEPIT_TEST_DATABASE_URL)."""
    import chromadb
    from tests.unit.storage.conftest import PG_URL_ENV, postgres_schema

    from tradepit.memory.service import Memory
    from tradepit.memory.vector import VectorIndex

    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_URL_ENV}")
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    with postgres_schema(url) as db, db.open() as store:
        memory = Memory(store, VectorIndex(client, embedding))
        entry = memory.record_decision("agent:pg", situation(), "buy", T0)
        memory.resolve_outcomes(day(7), prices({day(7).date().isoformat(): 101.0}))
        (hit,) = memory.recall(
            "MSFT", namespace="agent:pg", as_of=day(7), k=1, kinds=[Kind.DECISION]
        )
        assert hit.entry.id == entry.id and hit.entry.outcome.realised_return == pytest.approx(0.01)
