"""Memory hygiene: duplicate suppression, recency weighting and the size bound.

**Duplicates.** Notes and lessons are not stored twice in a namespace: an exact duplicate
(same text after case-folding and collapsing spaces and end punctuation) or a near duplicate
(cosine similarity >= `NEAR_DUPLICATE` *and* the same numbers in both texts, so "never hold
more than 3 tech stocks" and "... 5 tech stocks" stay distinct) of an entry written no later
returns the existing entry. Decisions are never merged; re-recording the same decision
(same namespace, symbol, time, action and text) is idempotent through its id.

**Recency.** Recall ranks by `score = similarity * recency(age)` with

    recency(age) = floor + (1 - floor) * 0.5 ** (age_days / half_life_days)

(`floor` = `RECENCY_FLOOR` = 0.5, `half_life_days` from settings, 90 by default): a memory
written now weighs 1.0, one half-life old 0.75, and very old ones tend to 0.5, so an old but
very relevant memory can still beat a new, loosely related one (as in layered-memory
designs, where recency decays but never erases relevance).

**Size bound.** Beyond `max_entries` per namespace, the least important entries go first
and, among equally important ones, the oldest (`eviction_order`), down to a tenth below
the bound (`eviction_floor`): one ranking per batch, not one per write.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime

NEAR_DUPLICATE = 0.97
RECENCY_FLOOR = 0.5
_SPACES = re.compile(r"\s+")
_NUMBERS = re.compile(r"\d+(?:[.,]\d+)?")


def normalise(text: str) -> str:
    """Case-folded, single-spaced, without surrounding spaces and end punctuation."""
    return _SPACES.sub(" ", text.casefold()).strip().strip(".!?;:,").strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def numbers(text: str) -> tuple[str, ...]:
    """The numbers in `text`, in order ("3", "4.5")."""
    return tuple(n.replace(",", ".") for n in _NUMBERS.findall(text))


def is_near_duplicate(text: str, other: str, similarity: float) -> bool:
    """Same meaning for the memory: very similar embeddings and the same numbers."""
    return similarity >= NEAR_DUPLICATE and numbers(text) == numbers(other)


def recency(created_at: datetime, as_of: datetime, half_life_days: float) -> float:
    """The recency weight (module docstring); entries from the future never get here."""
    age_days = max((as_of - created_at).total_seconds(), 0.0) / 86_400
    return RECENCY_FLOOR + (1 - RECENCY_FLOOR) * 0.5 ** (age_days / half_life_days)


def eviction_floor(bound: int) -> int:
    """How many entries a namespace keeps after an eviction: a tenth below its bound, so
    that evictions come in batches and not at every write once it is full (small bounds,
    below 10, are trimmed to the bound itself)."""
    return bound - bound // 10


def eviction_order(entries: Sequence[tuple[str, float, datetime]]) -> list[str]:
    """Ids of (id, importance, created_at) entries, the first to evict first."""
    return [e[0] for e in sorted(entries, key=lambda e: (e[1], e[2], e[0]))]
