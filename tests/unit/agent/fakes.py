"""Scripted fake models, tiny test tools and a small world (feed, paper broker, store) for
the graph tests."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import Field

from tradepit.agent.backends.base import AssistantTurn, ToolCall, Usage
from tradepit.agent.budget import BudgetLimits
from tradepit.agent.deps import AgentDeps
from tradepit.agent.graph import build_graph
from tradepit.agent.service import AgentService
from tradepit.bootstrap import build_feed, mark_to_market
from tradepit.broker import InMemoryLedgerStore, PaperBroker, PaperConfig
from tradepit.clock import ReplayClock
from tradepit.market import PointInTimeFeed
from tradepit.risk import RiskGate, RiskLimits
from tradepit.storage import Store
from tradepit.tools.base import Tool, ToolInput, ToolOutput
from tradepit.tools.registry import default_tools

T0 = datetime(2018, 6, 1, 15, 0, tzinfo=UTC)
"""A Friday inside the bundled data: SPX, IXIC and MSFT all have history before it."""

Script = AssistantTurn | BaseException | Callable[[list[dict[str, Any]]], AssistantTurn]


class Scripted:
    """A fake model that plays a script: turns, errors to raise, or functions of the
    messages. Keeps a copy of every request it was sent."""

    def __init__(self, *script: Script, name: str = "scripted") -> None:
        self.script = list(script)
        self.name = name
        self.requests: list[list[dict[str, Any]]] = []
        self.tools: list[list[dict[str, Any]]] = []

    def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AssistantTurn:
        self.requests.append(copy.deepcopy(messages))
        self.tools.append(tools)
        if not self.script:
            raise AssertionError("the script is exhausted: the graph called the model too often")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            return item(messages)
        return item


def call(name: str, args: dict[str, Any] | str, id: str = "c1") -> ToolCall:
    arguments = args if isinstance(args, str) else json.dumps(args)
    return ToolCall(id=id, name=name, arguments=arguments)


def turn(
    text: str = "", *calls: ToolCall, tokens: tuple[int, int] = (100, 20), cost: float = 0.0
) -> AssistantTurn:
    return AssistantTurn(
        text=text,
        tool_calls=calls,
        usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1]),
        cost_usd=cost,
        model="fake-1",
    )


# -- tiny test tools ------------------------------------------------------------------------


class EchoIn(ToolInput):
    text: str
    times: int = Field(1, ge=1, le=3)


class EchoOut(ToolOutput):
    text: str


def echo(deps: AgentDeps, args: EchoIn) -> EchoOut:
    """Repeat the text."""
    return EchoOut(text=" ".join([args.text] * args.times))


class ClockIn(ToolInput):
    pass


class ClockOut(ToolOutput):
    now: str
    run: str
    cycle: int


def clock_tool(deps: AgentDeps, args: ClockIn) -> ClockOut:
    """The current time, run and cycle."""
    return ClockOut(now=deps.clock.now().isoformat(), run=deps.run_id, cycle=deps.cycle)


ECHO = Tool("echo", EchoIn, EchoOut, echo)
CLOCK = Tool("clock", ClockIn, ClockOut, clock_tool)
TEST_TOOLS = (ECHO, CLOCK)


# -- a small world --------------------------------------------------------------------------


@dataclass
class World:
    store: Store
    clock: ReplayClock
    feed: PointInTimeFeed
    broker: PaperBroker

    def deps(self, symbols: Sequence[str] = (), **kw: Any) -> AgentDeps:
        limits = kw.pop("limits", RiskLimits())
        return AgentDeps(
            broker=self.broker,
            market=self.feed,
            clock=self.clock,
            gate=RiskGate(limits),
            limits=limits,
            store=self.store,
            symbols=tuple(symbols),
            **kw,
        )

    def service(
        self,
        backend: Any,
        *,
        tools: Sequence[Tool] | None = None,
        limits: BudgetLimits | None = None,
        checkpointer: BaseCheckpointSaver | None = None,
        symbols: Sequence[str] = (),
        **deps: Any,
    ) -> AgentService:
        feed, broker = self.feed, self.broker
        return AgentService(
            self.deps(symbols, **deps),
            backend,
            build_graph(checkpointer or InMemorySaver()),
            tools=tools if tools is not None else [*TEST_TOOLS, *default_tools()],
            limits=limits,
            prepare=lambda d: mark_to_market(broker, feed, feed.symbols()),
        )


def make_world(tmp_path: Path, at: datetime = T0, db: str = "agent.db") -> World:
    store = Store.from_url(f"sqlite:///{tmp_path / db}")
    store.migrate()
    clock = ReplayClock(at)
    feed = build_feed(clock)
    broker = PaperBroker(clock, feed.get_asset, PaperConfig(), InMemoryLedgerStore(), "acct")
    return World(store, clock, feed, broker)
