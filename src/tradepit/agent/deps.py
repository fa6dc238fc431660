"""Runtime dependencies of the graph and the tools. Injected, never model-facing."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tradepit.domain.models import TradingState
from tradepit.domain.ports import Broker, Clock, MarketData
from tradepit.risk import RiskGate, RiskLimits

if TYPE_CHECKING:
    from tradepit.agent.budget import Budget
    from tradepit.memory.service import MemoryScope
    from tradepit.storage import Store
    from tradepit.tools._turn_orders import TurnOrders

Mode = Literal["chat", "cycle", "battle"]


@dataclass
class AgentDeps:
    """Everything a tool or node may use. One instance per conversation, run or competitor."""

    broker: Broker
    market: MarketData
    """A point-in-time feed in replay: nothing after `clock.now()` is ever returned."""
    clock: Clock
    gate: RiskGate
    limits: RiskLimits
    store: Store | None = None
    budget: Budget | None = None
    run_id: str = "chat"
    cycle: int = 0
    mode: Mode = "chat"
    approval_notional: Decimal = Decimal(1000)
    """In chat, orders above this notional wait for a person's approval."""
    manual_state: TradingState | None = None
    """Kill switch / stored halt; the gate uses the stricter of this and the account's state."""
    symbols: tuple[str, ...] = field(default_factory=tuple)
    """The symbols this run trades (cycles and battles); empty in chat = any known symbol."""
    home: Path | None = None
    """Data directory (tuned strategy configs live under `home/strategies`)."""
    memory: MemoryScope | None = None
    """This conversation's, run's or competitor's memory (None: memory off). The recall
    tools and the prompts read it as of `clock.now()`; the record node writes to it."""
    turn_orders: TurnOrders | None = None
    """The orders this turn sent (set by the tools node): a second, different order of a
    symbol and side gets its own client_order_id leg. None: the side is the leg."""

    def client_order_id(self, symbol: str, leg: str = "entry") -> str:
        """Deterministic id from (run, cycle, symbol, leg): retries never submit twice."""
        return f"{self.run_id}-{self.cycle}-{symbol}-{leg}"[:128]
