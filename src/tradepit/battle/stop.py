"""Stopping a battle before its last tick.

`BattleRunner` checks its ``stop`` event before every tick: once it is set, the battle ends
at that tick boundary (every competitor has run the same ticks), is recorded as aborted
and `BattleInterrupted` is raised. `StopSignals` (`tradepit.stop_signals`, shared with the
autonomous loop) sets that event on SIGINT or SIGTERM; a second signal interrupts at once.
"""

from __future__ import annotations

from tradepit.domain.errors import TradepitError
from tradepit.stop_signals import StopSignals

__all__ = ["BattleInterrupted", "StopSignals"]


class BattleInterrupted(TradepitError):
    """The battle stopped before its last tick (a stop request or a signal). It is recorded
    as aborted: incomplete, and it cannot be resumed."""
