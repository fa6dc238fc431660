"""Identical order rejections, sent once per window. While trading is halted, every cycle's
orders are denied for the same reason: a message per denial floods the channel (25 in 13 s
for one symbol in a fast replay). The first rejection of a kind (symbol, source, codes) is
sent; identical ones within `window_s` of it are held back and counted; the next one sent
after the window says how many were held back (`OrderRejected.repeats`). Every rejection
is counted for the daily summary (`counts`, then `reset` once it went out)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from tradepit.integrations.events import OrderRejected, RejectionCount

if TYPE_CHECKING:
    from tradepit.domain.ports import Clock

Key = tuple[str, str, tuple[str, ...]]


class RepeatedRejections:
    """See the module docstring. `clock` measures the window: the wall clock, so that a
    fast replay (a day per cycle) is limited as a live run is."""

    def __init__(self, clock: Clock, window_s: float = 3600.0) -> None:
        self.clock, self.window_s = clock, window_s
        self._last_sent: dict[Key, datetime] = {}
        self._held: Counter[Key] = Counter()
        self._total: Counter[Key] = Counter()
        self._notified: Counter[Key] = Counter()

    def admit(self, event: OrderRejected) -> OrderRejected | None:
        """The event to send (with its held-back count), or None to hold it back."""
        key = event.repeat_key
        self._total[key] += 1
        now = self.clock.now()
        last = self._last_sent.get(key)
        if last is not None and (now - last).total_seconds() < self.window_s:
            self._held[key] += 1
            return None
        self._last_sent[key] = now
        self._notified[key] += 1
        held = self._held.pop(key, 0)
        return event.model_copy(update={"repeats": held}) if held else event

    def counts(self) -> tuple[RejectionCount, ...]:
        """Every rejection since the last `reset`, per kind, most frequent first."""
        return tuple(
            RejectionCount(
                symbol=symbol, source=source, codes=codes, count=count,  # type: ignore[arg-type]
                notified=self._notified[(symbol, source, codes)],
            )
            for (symbol, source, codes), count in self._total.most_common()
        )  # fmt: skip

    def reset(self) -> None:
        """Start counting afresh (the counts went out in a summary)."""
        self._total.clear()
        self._notified.clear()
