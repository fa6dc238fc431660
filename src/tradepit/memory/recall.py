"""Point-in-time ranking of recall hits: one hit per entry, nothing from after `as_of`.

chromadb returns chunks (filtered by `created_us <= as_of`); here they are grouped by entry
(best chunk wins), checked again against the SQL record (the vector index is never trusted
alone), given their outcome only if it was known at `as_of`, and ranked by
`similarity * recency` (see `tradepit.memory.hygiene`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from tradepit.memory.hygiene import recency
from tradepit.memory.models import Entry, Recalled


def best_per_entry(hits: Iterable[tuple[str, float, str]]) -> dict[str, float]:
    """Entry id -> the highest similarity among its chunks."""
    best: dict[str, float] = {}
    for entry_id, similarity, _ in hits:
        if similarity > best.get(entry_id, float("-inf")):
            best[entry_id] = similarity
    return best


def rank(
    best: Mapping[str, float],
    entries: Mapping[str, Entry],
    namespace: str,
    as_of: datetime,
    half_life_days: float,
    k: int,
) -> list[Recalled]:
    """The top `k` entries as known at `as_of`, by score then newest first."""
    ranked = []
    for entry_id, similarity in best.items():
        entry = entries.get(entry_id)
        if entry is None or entry.namespace != namespace or entry.created_at > as_of:
            continue  # a stale vector, another namespace, or the future: never returned
        weight = recency(entry.created_at, as_of, half_life_days)
        ranked.append(
            Recalled(
                entry=entry.as_of(as_of),
                similarity=similarity,
                recency=weight,
                score=similarity * weight,
            )
        )
    ranked.sort(key=lambda r: (-r.score, -r.entry.created_at.timestamp(), r.entry.id))
    return ranked[:k]
