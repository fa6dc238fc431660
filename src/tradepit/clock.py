"""Clocks: the one module allowed to read the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Live clock: the current UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ReplayClock:
    """Simulated clock for replays and backtests. Time only moves forward."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ReplayClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance_to(self, when: datetime) -> None:
        """Move the clock to `when`; moving backwards is a bug and raises ValueError."""
        if when < self._now:
            raise ValueError(f"clock cannot go back from {self._now} to {when}")
        self._now = when
