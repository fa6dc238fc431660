"""Memory in battles: a ``+memory`` competitor gets a memory of its own, or the battle's
shared one (`BattleConfig.shared_memory`), plus the recall tools and memories in its prompts;
the others get neither (`competitor.battle_tools`).

**Namespaces** (`config.memory_namespace`): ``battle:<run>:c<index>`` or
``battle:<run>:shared``; per sample (``battle:<run>.s<n>:...``) when memories do not carry
over from one window to the next. A replay has its own run id, so its memory is rebuilt
from the replayed decisions.

**Point in time.** Everything is read as of the battle clock, and a competitor at tick t
recalls only what was written before t (`TickScope`): in a shared memory nobody sees what
another competitor wrote in the same tick, so the outcome does not depend on the order in
which they run. In a blind battle everything the memory holds was written under the blind
names and dates (the tools, the journal and the prompts only ever see those).

**Where.** The journal goes to the battle's store, the vectors to the configured chromadb
(`TRADEPIT_MEMORY_BACKEND`). The memory lives in the runner's process and the memory
competitors run there, never in a forked worker (one chromadb client per battle, and the
embedding model is never used across a fork).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tradepit.battle import config as ids
from tradepit.domain.errors import ConfigError
from tradepit.memory.service import Memory, MemoryScope

if TYPE_CHECKING:
    from tradepit.battle.config import BattleConfig, Competitor
    from tradepit.config import Settings
    from tradepit.storage import Store

TICK = timedelta(microseconds=1)


def before(when: datetime) -> datetime:
    """The latest time strictly before `when` (memory times are whole microseconds)."""
    return when - TICK


@dataclass(frozen=True)
class TickScope(MemoryScope):
    """A `MemoryScope` that reads only what was written before the asked time."""

    def visible_at(self, as_of: datetime) -> datetime:
        return before(as_of)


class BattleMemory:
    """The memory of one battle run: opened on first need, one scope per memory competitor
    and sample (see the module docstring)."""

    def __init__(self, settings: Settings, store: Store, config: BattleConfig, run_id: str):
        self.settings, self.store, self.config, self.run_id = settings, store, config, run_id
        self._memory: Memory | None = None
        if config.has_memory and settings.memory_backend == "off":
            raise ConfigError(
                "competitors with +memory need a memory; TRADEPIT_MEMORY_BACKEND is off"
            )

    @property
    def memory(self) -> Memory:
        if self._memory is None:
            self._memory = Memory.open(self.settings, self.store)
        return self._memory

    def namespace(self, competitor: Competitor, sample: int) -> str:
        return ids.memory_namespace(self.run_id, sample, competitor.index, self.config)

    def scope(self, competitor: Competitor, sample: int) -> MemoryScope | None:
        """Competitor's memory in `sample` (None for a competitor without memory)."""
        if not competitor.memory:
            return None
        return TickScope(self.memory, self.namespace(competitor, sample))
