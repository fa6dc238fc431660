"""One competitor in one sample: its own paper account (or, in a live battle with
``--alpaca-accounts``, its own Alpaca paper account: `battle.alpaca_accounts`), graph (own
checkpointer and threads), service, budget and record buffer, over the market every
competitor shares.

Identical for everyone: the tools (`BATTLE_TOOLS`), the prompts, the risk limits, the
snapshot; a competitor with memory (``+memory``, see `battle.memory`) also gets the memory
tools (`MEMORY_TOOLS`) and its memories in the prompts.

A cycle that aborts (model error, malformed replies, budget) is recorded by the graph as an
``abort`` decision; an unexpected exception (a bug in a backend or a tool) is logged and
recorded here the same way. Either way it counts as a failure: never a hold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from tradepit.agent.backends.base import ModelBackend
from tradepit.agent.budget import BudgetLimits
from tradepit.agent.deps import AgentDeps
from tradepit.agent.graph import build_graph
from tradepit.agent.service import AgentService, Reply, Tick, run_thread
from tradepit.battle.config import Competitor
from tradepit.battle.market import Market
from tradepit.battle.recording import FlagCache, TickBuffer
from tradepit.battle.records import status_of
from tradepit.broker import PaperBroker, PaperConfig
from tradepit.domain.models import Account, Bar, Decision, Fill
from tradepit.domain.ports import Broker
from tradepit.memory.service import MemoryScope
from tradepit.risk import RiskGate, RiskLimits
from tradepit.storage import Store
from tradepit.tools.base import Tool
from tradepit.tools.registry import default_tools

log = logging.getLogger(__name__)

BATTLE_TOOLS = (
    "get_quote", "get_bars", "get_indicators", "get_signal", "get_account", "get_positions",
    "get_orders", "check_risk", "place_order", "cancel_order", "close_position",
    "run_backtest", "get_strategy_config",
)  # fmt: skip
"""The tools every competitor gets (an allowlist: tools that read the decision journal or
a shared memory would let a competitor see another's decisions, or real tickers in a blind
battle)."""
MEMORY_TOOLS = ("recall", "remember")
"""Added for a competitor with memory: they read and write its own (battle) namespace."""
OFFLINE = ("RulesBackend", "RulesRecallBackend", "ReplayBackend")


def battle_tools(memory: bool = False) -> list[Tool]:
    """The allowlist, plus the memory tools for a competitor with memory."""
    allowed = (*BATTLE_TOOLS, *MEMORY_TOOLS) if memory else BATTLE_TOOLS
    return [t for t in default_tools() if t.name in allowed]


@dataclass
class Stats:
    """What the live leaderboard shows about a competitor while the battle runs."""

    cycles: int = 0
    failures: int = 0
    crashes: int = 0
    fills: int = 0
    tokens: int = 0
    usd: float = 0.0
    last_error: str | None = None
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return status_of(self.failures, self.cycles, self.last_error)


class CompetitorRun:
    """See the module docstring."""

    def __init__(
        self,
        spec: Competitor,
        run_id: str,
        account_id: str,
        backend: ModelBackend,
        market: Market,
        store: Store,
        paper: PaperConfig,
        budget: BudgetLimits,
        tools: list[Tool] | None = None,
        flags: FlagCache | None = None,
        memory: MemoryScope | None = None,
        broker: Broker | None = None,
    ) -> None:
        self.spec, self.run_id, self.account_id = spec, run_id, account_id
        self.backend = backend
        self.market = market
        self.buffer = TickBuffer(store, flags)
        self.broker: Any = broker or PaperBroker(
            market.clock,
            market.feed.get_asset,
            paper,
            self.buffer,
            account_id,  # type: ignore[arg-type]
        )
        """The paper broker; or a real one (`broker`: see `battle.alpaca_accounts`)."""
        limits = RiskLimits()
        deps = AgentDeps(
            broker=self.broker,
            market=market.feed,
            clock=market.clock,
            gate=RiskGate(limits),
            limits=limits,
            store=self.buffer,  # type: ignore[arg-type]
            run_id=run_id,
            mode="battle",
            symbols=market.symbols,
            home=None,  # no tuned per-symbol configs: identical for all, reproducible
            memory=memory,
        )
        self.saver = InMemorySaver()
        self.service = AgentService(
            deps,
            backend,
            build_graph(self.saver),
            tools=tools if tools is not None else battle_tools(memory is not None),
            limits=budget,
            cycle_durability="exit",
        )
        self.stats = Stats()
        self.online = type(backend).__name__ not in OFFLINE

    def deliver(self, bars: list[Bar]) -> list[Fill]:
        fills: list[Fill] = []
        for bar in bars:
            fills.extend(self.broker.on_bar(bar))
        self.stats.fills += len(fills)
        return fills

    def mark(self, prices: dict[str, Decimal]) -> None:
        for symbol, price in prices.items():
            self.broker.mark(symbol, price)

    def account(self) -> Account:
        return self.broker.get_account()

    def cycle(self, n: int, fills: list[Fill], snapshot: Any | None) -> Reply | None:
        """One decision cycle; None when it crashed (recorded as an abort)."""
        tick = Tick(cycle=n, fills=tuple(fills), snapshot=snapshot, mode="battle")
        self.stats.cycles += 1
        try:
            reply = self.service.cycle(self.run_id, tick)
        except Exception as e:  # a bug in a backend or tool: recorded below, never a hold
            log.exception("competitor %s crashed in cycle %d", self.spec.name, n)
            self._crashed(n, e)
            return None
        finally:
            self.saver.delete_thread(run_thread(self.run_id, n))
        usage = reply.usage or {}
        self.stats.tokens += int(usage.get("tokens") or 0)
        self.stats.usd += float(usage.get("usd") or 0.0)
        if reply.status == "aborted":
            self._failed(reply.error_type or "aborted")
        return reply

    def _failed(self, error_type: str) -> None:
        self.stats.failures += 1
        self.stats.last_error = error_type
        self.stats.errors[error_type] = self.stats.errors.get(error_type, 0) + 1

    def _crashed(self, n: int, error: Exception) -> None:
        self.stats.crashes += 1
        self.service.recorder.discard(run_thread(self.run_id, n))
        self.record_abort(n, error, "crash")

    def record_abort(self, n: int, error: Exception, kind: str) -> None:
        """Cycle `n` aborted by `error` outside the graph (`kind`: crash, outage): an
        ``abort`` decision per symbol, counted as a failure."""
        self._failed(type(error).__name__)
        reason = f"{type(error).__name__}: {error}"
        payload = {
            "mode": "battle",
            "thread_id": run_thread(self.run_id, n),
            "outcome": {"status": "aborted", "error_type": type(error).__name__, "reason": reason},
            kind: True,
        }
        now = self.market.clock.now()
        decisions = [
            (
                Decision(
                    run_id=self.run_id, cycle=n, symbol=symbol, action="abort",
                    rationale=f"{kind}: {reason}"[:4000], timestamp=now,
                    backend=self.backend.name[:128],
                ),
                payload,
            )
            for symbol in self.market.symbols
        ]  # fmt: skip
        self.buffer.record_decisions(decisions)
