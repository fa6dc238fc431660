"""Values of the memory: entries, outcomes, recall hits and similar setups."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tradepit.domain.models import Frozen, UtcDatetime


class Kind(StrEnum):
    DECISION = "decision"
    """A journalled decision: situation, action, rationale, risk verdict, later its outcome."""
    LESSON = "lesson"
    """A reflection written when a decision's outcome arrived."""
    NOTE = "note"
    """A user's note or preference from chat ("never hold more than 3 tech stocks")."""


DEFAULT_IMPORTANCE = {Kind.NOTE: 1.0, Kind.LESSON: 0.6, Kind.DECISION: 0.4}
"""Eviction keeps the most important entries first (then the newest)."""


class Outcome(Frozen):
    """How a decision turned out over its horizon. Returns are fractions (0.01 = 1 %).

    `realised_return` is the return of the exposure the decision left (long +1, short -1,
    flat 0); `buy_hold_return` the symbol's own return over the same span; `excess_return`
    their difference."""

    entry_price: float
    exit_price: float
    exposure: int
    realised_return: float
    buy_hold_return: float
    excess_return: float
    horizon_days: float
    known_at: UtcDatetime
    """When the outcome became knowable (the horizon's end); invisible before."""


class Entry(Frozen):
    """One memory. `text` is what is embedded (chunked when longer than the model's limit)."""

    id: str
    namespace: str
    kind: Kind
    symbol: str | None = None
    created_at: UtcDatetime
    text: str
    importance: float
    chunks: int = 1
    run_id: str | None = None
    action: str | None = None
    rationale: str = ""
    risk: dict[str, Any] | None = None
    situation: dict[str, Any] | None = None
    horizon_at: UtcDatetime | None = None
    outcome: Outcome | None = None
    source_id: str | None = None
    """For a lesson: the decision it reflects on."""

    def as_of(self, when: Any) -> Entry:
        """This entry as it was known at `when`: the outcome is hidden before it was known."""
        if self.outcome is not None and self.outcome.known_at > when:
            return self.model_copy(update={"outcome": None})
        return self


class Recalled(Frozen):
    """A recall hit: the entry as known at the query time, and how it ranked.
    `score = similarity * recency` (see `tradepit.memory.hygiene.recency`)."""

    entry: Entry
    similarity: float
    recency: float
    score: float


class Setup(Frozen):
    """A past situation close to the one asked about, with its known outcome."""

    entry_id: str
    symbol: str | None
    created_at: UtcDatetime
    action: str
    distance: float
    realised_return: float
    excess_return: float
