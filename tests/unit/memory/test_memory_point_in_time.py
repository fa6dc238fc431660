"""No memory from the future: entries written at t are invisible before t, outcomes known at
t' are invisible before t', for recall, setups and listings alike."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.memory.conftest import T0, day, make_memory, situation

from tradepit.memory.models import Kind

SYMBOLS = ("MSFT", "SPX")
NOTES = (
    "Never hold more than 3 tech stocks.",
    "Keep 20% of the account in cash.",
    "No new positions before earnings.",
)
ACTIONS = ("buy", "sell", "close", "hold")
MICRO = timedelta(microseconds=1)

writes = st.lists(
    st.tuples(
        st.sampled_from(("decision", "note")),
        st.integers(0, 12),  # day written
        st.integers(0, 5),  # which symbol/action or note
    ),
    min_size=1,
    max_size=5,
)


@pytest.fixture(scope="module")
def shared_memory(tmp_path_factory, embedding):
    """One memory for all examples (each example uses a fresh namespace): the embedding
    cache makes repeated texts free and in-memory chromadb avoids disk latency, which keeps
    the property test fast. Persistence is tested in test_memory_journal."""
    memory = make_memory(tmp_path_factory.mktemp("pit"), embedding, ephemeral=True)
    yield memory
    memory.close()


_counter = itertools.count()


def _price(symbol, when):
    return 100.0 + (when - T0).days + (3 if symbol == "SPX" else 0)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    writes=writes,
    resolve_day=st.integers(0, 25),
    offsets=st.lists(st.integers(-2, 30 * 86_400 * 1_000_000), min_size=1, max_size=4),
)
def test_no_memory_from_the_future_is_ever_returned(shared_memory, writes, resolve_day, offsets):
    memory = shared_memory
    ns = f"agent:pit{next(_counter)}"
    written = []
    for kind, when, pick in writes:
        at = day(when)
        if kind == "note":
            written.append(memory.remember(ns, NOTES[pick % len(NOTES)], at))
        else:
            sit = situation(SYMBOLS[pick % 2], at, price=_price(SYMBOLS[pick % 2], at))
            written.append(memory.record_decision(ns, sit, ACTIONS[pick % 4], at))
    memory.resolve_outcomes(day(resolve_day), _price, namespace=ns)
    truth = {e.id: e for e in memory.entries(ns, limit=None)}

    boundaries = [e.created_at for e in written]
    boundaries += [e.outcome.known_at for e in truth.values() if e.outcome is not None]
    times = [T0 + timedelta(microseconds=o) for o in offsets]
    times += [b + d for b in boundaries for d in (-MICRO, timedelta(0))]
    for as_of in times:
        visible = {i for i, e in truth.items() if e.created_at <= as_of}
        hits = memory.recall("tech stocks cash earnings buy sell", namespace=ns, as_of=as_of, k=50)
        assert {h.entry.id for h in hits} == visible  # all of the past, nothing of the future
        for h in hits:
            known = truth[h.entry.id].outcome
            if known is not None and known.known_at <= as_of:
                assert h.entry.outcome == known
            else:
                assert h.entry.outcome is None
        for s in memory.similar_setups(situation().vector(), namespace=ns, as_of=as_of, k=50):
            outcome = truth[s.entry_id].outcome
            assert s.created_at <= as_of and outcome is not None and outcome.known_at <= as_of
        listed = memory.entries(ns, limit=None, as_of=as_of)
        assert {e.id for e in listed} == visible
        assert all(e.outcome is None or e.outcome.known_at <= as_of for e in listed)


def test_outcome_and_lesson_appear_exactly_when_known(memory):
    ns = "agent:edge"
    entry = memory.record_decision(ns, situation(price=100.0), "buy", T0)
    memory.resolve_outcomes(day(9), lambda s, w: 90.0)
    before = memory.recall("MSFT buy", namespace=ns, as_of=day(7) - MICRO, k=5)
    assert [(h.entry.id, h.entry.outcome) for h in before] == [(entry.id, None)]
    after = memory.recall("MSFT buy", namespace=ns, as_of=day(7), k=5)
    kinds = {h.entry.kind: h.entry for h in after}
    assert kinds[Kind.DECISION].outcome.realised_return == pytest.approx(-0.10)
    assert kinds[Kind.LESSON].created_at == day(7)
    assert memory.similar_setups(situation().vector(), namespace=ns, as_of=day(7) - MICRO) == []
    (setup,) = memory.similar_setups(situation().vector(), namespace=ns, as_of=day(7))
    assert setup.realised_return == pytest.approx(-0.10) and setup.action == "buy"


def test_symbol_filter_keeps_the_symbol_and_general_memories(memory):
    ns = "agent:sym"
    msft = memory.record_decision(ns, situation("MSFT"), "buy", T0)
    memory.record_decision(ns, situation("SPX"), "buy", T0)
    note = memory.remember(ns, "Keep 20% of the account in cash.", T0)
    hits = memory.recall("buy", namespace=ns, as_of=day(1), symbol="msft", k=10)
    assert {h.entry.id for h in hits} == {msft.id, note.id}
    only_notes = memory.recall("buy", namespace=ns, as_of=day(1), k=10, kinds=[Kind.NOTE])
    assert [h.entry.id for h in only_notes] == [note.id]


def test_times_must_be_timezone_aware(memory):
    with pytest.raises(ValueError, match="timezone-aware"):
        memory.recall("x", namespace="agent:a", as_of=T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        memory.remember("agent:a", "note", T0.replace(tzinfo=None))
