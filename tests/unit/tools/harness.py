"""Test harness shared by the tool, prompt, snapshot and rules-backend tests: a paper broker
and a point-in-time feed over the bundled SPX, IXIC and MSFT bars, on a replay clock.
Imported as ``tests.unit.tools.harness``; the fixtures are in ``conftest.py``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pandas as pd

from tradepit.agent.backends.base import ToolCall
from tradepit.agent.deps import AgentDeps
from tradepit.broker import PaperBroker, PaperConfig
from tradepit.clock import ReplayClock
from tradepit.domain.models import Bar
from tradepit.market.feed import HistoricalSource, PointInTimeFeed
from tradepit.risk import RiskGate, RiskLimits
from tradepit.tools.registry import (
    ToolResult,
    default_tools,
    execute,
    openai_schemas,
    tools_by_name,
)

START = datetime(2015, 1, 2, tzinfo=UTC)
"""The replay starts here: about 16 years of SPX history before, 4 after."""
DAY = timedelta(days=1)


def _bar(symbol: str, stamp: pd.Timestamp, row: Any) -> Bar:
    def d(x: float) -> Decimal:
        return Decimal(repr(float(x)))

    return Bar(
        symbol=symbol, timestamp=stamp.to_pydatetime(), open=d(row.open), high=d(row.high),
        low=d(row.low), close=d(row.close), volume=d(row.volume),
    )  # fmt: skip


@cache
def bundled_source() -> HistoricalSource:
    """The bundled OHLCV series (read once per process)."""
    return HistoricalSource.bundled(["SPX", "IXIC", "MSFT"])


class Market:
    """Clock, feed and paper broker stepping together through the bundled daily bars.

    `step()` plays the next bar of every symbol the way the event backtest does: clock to
    the bar's open, the broker fills on the bar, clock to the bar's close (the feed then
    shows it as the latest completed bar)."""

    def __init__(
        self, source: HistoricalSource | None = None, start: datetime = START, **config: Any
    ) -> None:
        source = source or bundled_source()
        self.source = source
        self.clock = ReplayClock(start)
        self.feed = PointInTimeFeed(source, self.clock)
        self.broker = PaperBroker(self.clock, source.asset, PaperConfig(**config))
        spx = source.frame("SPX").index
        self.days = spx[spx >= pd.Timestamp(start)]
        self._mark()

    def _mark(self) -> None:
        for symbol in self.source.symbols():
            done = self.visible(symbol)
            if len(done):
                self.broker.mark(symbol, Decimal(repr(float(done["close"].iloc[-1]))))

    def visible(self, symbol: str) -> pd.DataFrame:
        """The bundled bars of `symbol` complete at the clock's now (computed directly)."""
        frame = self.source.frame(symbol)
        return frame[frame.index + DAY <= pd.Timestamp(self.clock.now())]

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            day, self.days = self.days[0], self.days[1:]
            self.clock.advance_to(day.to_pydatetime())
            for symbol in self.source.symbols():
                frame = self.source.frame(symbol)
                if day in frame.index:
                    self.broker.on_bar(_bar(symbol, day, frame.loc[day]))
            self.clock.advance_to((day + DAY).to_pydatetime())


def make_deps(market: Market, **overrides: Any) -> AgentDeps:
    limits = overrides.pop("limits", RiskLimits())
    return AgentDeps(
        broker=market.broker,
        market=market.feed,
        clock=market.clock,
        gate=RiskGate(limits),
        limits=limits,
        **overrides,
    )


class Caller:
    """Calls tools by name the way the tool node does, and parses what the model sees."""

    def __init__(self, deps: AgentDeps, registry: dict) -> None:
        self.deps, self.registry, self.n = deps, registry, 0

    def result(self, name: str, arguments: str | dict | None = None) -> ToolResult:
        self.n += 1
        text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
        return execute(
            self.deps, self.registry, ToolCall(id=f"c{self.n}", name=name, arguments=text)
        )

    def __call__(self, name: str, arguments: str | dict | None = None) -> dict:
        result = self.result(name, arguments)
        assert result.ok, result.content
        return json.loads(result.content)


def converse(
    backend: Any,
    deps: AgentDeps,
    text: str,
    messages: list[dict[str, Any]] | None = None,
    max_rounds: int = 6,
) -> tuple[str, list[dict[str, Any]], list[ToolResult]]:
    """Drive a backend directly (no graph): complete -> execute each call -> tool messages,
    until it answers with text. Returns (answer, messages, tool results)."""
    tools = default_tools()
    registry, schemas = tools_by_name(tools), openai_schemas(tools)
    messages = list(messages or [])
    messages.append({"role": "user", "content": text})
    results: list[ToolResult] = []
    for _ in range(max_rounds):
        turn = backend.complete(messages, schemas)
        messages.append(turn.to_message())
        if not turn.tool_calls:
            return turn.text, messages, results
        for tool_call in turn.tool_calls:
            result = execute(deps, registry, tool_call)
            results.append(result)
            messages.append(result.to_message())
    raise AssertionError(f"no answer after {max_rounds} rounds: {messages[-1]}")
