"""Hygiene (duplicates, size bound, recency) and namespaces (nothing crosses users)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.unit.memory.conftest import T0, day, situation

from tradepit.memory import namespaces
from tradepit.memory.hygiene import (
    RECENCY_FLOOR,
    eviction_floor,
    eviction_order,
    is_near_duplicate,
    normalise,
    numbers,
    recency,
)
from tradepit.memory.models import Entry, Kind
from tradepit.memory.recall import rank

NOTE = "Never hold more than 3 tech stocks."


def test_exact_duplicates_are_not_stored_twice(memory):
    first = memory.remember("user:alice", NOTE, T0)
    again = memory.remember("user:alice", "  never hold more than 3 TECH stocks  ", day(1))
    assert again.id == first.id and len(memory.entries("user:alice")) == 1
    lesson = memory.remember("user:alice", NOTE, day(2), kind=Kind.LESSON)  # other kind: kept
    assert lesson.id != first.id and len(memory.entries("user:alice")) == 2


def test_near_duplicates_are_suppressed_but_other_numbers_are_not(memory):
    first = memory.remember("user:alice", NOTE, T0)
    near = memory.remember("user:alice", "Never hold more than 3 tech stocks!!", day(1))
    assert near.id == first.id
    other = memory.remember("user:alice", "Never hold more than 5 tech stocks.", day(1))
    assert other.id != first.id and len(memory.entries("user:alice")) == 2


def test_a_duplicate_of_a_later_entry_is_still_stored(memory):
    """Duplicate checks look only at entries written no later: in a replay, suppressing the
    earlier note would make recall before the later one miss it."""
    later = memory.remember("user:alice", NOTE, day(5))
    earlier = memory.remember("user:alice", NOTE, day(1))
    assert earlier.id != later.id
    (hit,) = memory.recall("tech stocks", namespace="user:alice", as_of=day(2), k=5)
    assert hit.entry.id == earlier.id


def test_duplicate_rules():
    assert normalise("  Hello   WORLD. ") == "hello world"
    assert numbers("hold 3 of 4.5 or 1,5") == ("3", "4.5", "1.5")
    assert is_near_duplicate("max 3 stocks", "max 3 stocks!", 0.99)
    assert not is_near_duplicate("max 3 stocks", "max 4 stocks", 0.99)
    assert not is_near_duplicate("max 3 stocks", "max 3 stocks", 0.9)


def test_size_bound_evicts_least_important_then_oldest(open_memory):
    memory = open_memory(max_entries=3)
    ns = "agent:small"
    old_decision = memory.record_decision(ns, situation(at=T0), "buy", T0)
    note = memory.remember(ns, NOTE, day(1))
    new_decision = memory.record_decision(ns, situation(at=day(2)), "sell", day(2))
    lesson = memory.remember(ns, "Lesson: chasing gaps lost money.", day(3), kind=Kind.LESSON)
    kept = {e.id for e in memory.entries(ns, limit=None)}
    assert kept == {note.id, new_decision.id, lesson.id}  # the oldest decision went
    assert memory.similar_setups(situation().vector(), namespace=ns, as_of=day(30)) == []
    hits = memory.recall("buy MSFT", namespace=ns, as_of=day(9), k=10)
    assert old_decision.id not in {h.entry.id for h in hits}
    order = eviction_order([("a", 0.4, day(2)), ("b", 1.0, T0), ("c", 0.4, T0)])
    assert order == ["c", "a", "b"]


def test_a_full_namespace_is_trimmed_in_batches(open_memory):
    memory = open_memory(max_entries=20)
    ns = "agent:batch"
    notes = [memory.remember(ns, f"note {i} about sector {i * 7}", day(i)) for i in range(21)]
    kept = [e.id for e in memory.entries(ns, limit=None)]
    assert len(kept) == eviction_floor(20) == 18  # 21 > 20: down to 18, the oldest went
    assert set(kept) == {n.id for n in notes[3:]}
    memory.remember(ns, "one more note about bonds", day(30))
    memory.remember(ns, "and another about gold", day(31))
    assert len(memory.entries(ns, limit=None)) == 20  # at the bound: nothing evicted yet
    assert eviction_floor(5000) == 4500 and eviction_floor(3) == 3


def test_recency_formula():
    assert recency(T0, T0, 90) == 1.0
    assert recency(T0, day(90), 90) == pytest.approx(0.75)
    assert recency(T0, day(900), 90) == pytest.approx(RECENCY_FLOOR, abs=1e-3)
    assert recency(T0, day(10), 30) > recency(T0, day(20), 30)


def _note(entry_id: str, at) -> Entry:
    return Entry(id=entry_id, namespace="user:bob", kind=Kind.NOTE, created_at=at, text=entry_id,
                 importance=1.0)  # fmt: skip


def test_recency_reorders_close_matches_but_not_clear_ones():
    entries = {"old": _note("old", T0), "new": _note("new", day(299))}
    close = rank({"old": 0.80, "new": 0.70}, entries, "user:bob", day(300), 90.0, 2)
    assert [r.entry.id for r in close] == ["new", "old"]
    assert all(r.score == pytest.approx(r.similarity * r.recency) for r in close)
    clear = rank({"old": 0.90, "new": 0.40}, entries, "user:bob", day(300), 90.0, 2)
    assert [r.entry.id for r in clear] == ["old", "new"]


def test_rank_drops_future_foreign_and_unknown_entries():
    entries = {"past": _note("past", T0), "future": _note("future", day(2))}
    entries["other"] = _note("other", T0).model_copy(update={"namespace": "user:eve"})
    best = {"past": 0.5, "future": 0.9, "other": 0.9, "gone": 0.9}
    assert [r.entry.id for r in rank(best, entries, "user:bob", day(1), 90.0, 5)] == ["past"]


def test_forget_one_entry_or_a_whole_namespace(memory):
    a = memory.remember("user:alice", NOTE, T0)
    memory.remember("user:alice", "Keep 20% in cash.", T0)
    memory.remember("user:bob", NOTE, T0)
    assert memory.forget("user:alice", [a.id]) == 1
    assert memory.forget("user:bob", [a.id]) == 0  # ids of another namespace are ignored
    assert [e.text for e in memory.entries("user:alice")] == ["Keep 20% in cash."]
    assert memory.forget("user:alice") == 1
    assert memory.recall("cash", namespace="user:alice", as_of=day(1)) == []
    assert memory.namespaces() == [("user:bob", 1)]


def test_nothing_crosses_users(memory):
    alice = memory.scope(namespaces.user("alice"))
    bob = memory.scope(namespaces.user("bob"))
    alice.remember(NOTE, T0)
    alice.record_decision(situation(), "buy", T0)
    assert bob.recall("tech stocks", as_of=day(30), k=10) == []
    assert bob.similar_setups(situation().vector(), as_of=day(30)) == []
    bob.remember("Bob likes energy stocks.", T0)
    hits = alice.recall("energy stocks", as_of=day(30), k=10)
    assert {h.entry.namespace for h in hits} == {"user:alice"}


def test_competitors_have_own_memory_unless_shared(memory):
    gpt = memory.scope(namespaces.competitor("b1", "gpt"))
    claude = memory.scope(namespaces.competitor("b1", "claude"))
    gpt.record_decision(situation(), "buy", T0)
    assert claude.recall("MSFT buy", as_of=day(1)) == []
    shared_a = memory.scope(namespaces.competitor("b1", "gpt", shared=True))
    shared_b = memory.scope(namespaces.competitor("b1", "claude", shared=True))
    shared_a.record_decision(situation(), "sell", T0)
    assert shared_a.namespace == shared_b.namespace == "battle:b1:shared"
    assert len(shared_b.recall("MSFT sell", as_of=day(1))) == 1


def test_namespaces_are_validated(memory):
    assert namespaces.agent("main") == "agent:main"
    with pytest.raises(ValueError):
        namespaces.user("alice:admin")
    with pytest.raises(ValueError):
        memory.remember("no namespace", NOTE, T0)
    with pytest.raises(ValueError):
        memory.scope("user:")


def test_a_chat_users_sessions_share_the_memory(memory):
    morning = memory.scope(namespaces.user("carol"))
    morning.remember("Never trade penny stocks.", T0)
    evening = memory.scope(namespaces.user("carol"))  # another session, same user
    (hit,) = evening.recall("penny stocks", as_of=T0 + timedelta(hours=9))
    assert hit.entry.text == "Never trade penny stocks."
