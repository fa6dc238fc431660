"""Retrieval quality on a labelled set, and recall of chunked (long) entries."""

from __future__ import annotations

import pytest
from tests.unit.memory.conftest import day, make_memory
from tests.unit.memory.retrieval_set import MEMORIES, QUERIES

from tradepit.memory.models import Kind

NS = "user:eval"
RECALL_AT_5_FLOOR = 0.875
"""Measured 22/24 = 0.917 with the offline int8 MiniLM (recall@1 18/24 = 0.75); the floor
allows one query to regress."""


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, embedding):
    memory = make_memory(tmp_path_factory.mktemp("eval"), embedding)
    ids = {}
    for i, (key, (kind, symbol, text)) in enumerate(MEMORIES.items()):
        ids[key] = memory.remember(NS, text, day(i % 5), kind=Kind(kind), symbol=symbol).id
    ranked = {
        query: [h.entry.id for h in memory.recall(query, namespace=NS, as_of=day(10), k=5)]
        for query, _ in QUERIES
    }
    yield ids, ranked
    memory.close()


def test_the_labelled_set_is_well_formed():
    assert len(QUERIES) >= 20 and len(set(MEMORIES)) == len(MEMORIES)
    assert {key for _, key in QUERIES} <= set(MEMORIES)


def test_recall_at_5_meets_the_measured_floor(evaluated):
    ids, ranked = evaluated
    found = [ids[key] in ranked[query] for query, key in QUERIES]
    top1 = [ranked[query][:1] == [ids[key]] for query, key in QUERIES]
    missed = [query for (query, _), ok in zip(QUERIES, found, strict=True) if not ok]
    assert sum(found) / len(found) >= RECALL_AT_5_FLOOR, missed
    assert sum(top1) / len(top1) >= 0.7


def test_a_long_entry_is_found_by_its_last_chunk_and_returned_once(memory, embedding):
    filler = " ".join(f"Session {i}: the index drifted sideways on thin volume." for i in range(60))
    text = f"{filler} Finally the copper miners rallied after the tariff news."
    entry = memory.remember("agent:long", text, day(0), kind=Kind.LESSON)
    assert entry.chunks == len(embedding.chunks(text)) >= 3
    memory.remember("agent:long", "Gold rose on safe-haven demand.", day(0))
    hits = memory.recall(
        "copper miners rally on tariffs", namespace="agent:long", as_of=day(1), k=5
    )
    assert [h.entry.id for h in hits].count(entry.id) == 1
    assert hits[0].entry.id == entry.id and hits[0].entry.text == text  # whole text kept
