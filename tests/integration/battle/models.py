"""Small battles and scripted battle models for the battle tests.

A scripted model plays the role of an LLM in a battle: it answers each decision prompt
with tool calls, then with ``DECISION:`` lines, and may charge tokens and dollars per call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tradepit.agent.backends.base import AssistantTurn, ToolCall, Usage
from tradepit.agent.backends.rules import conversation
from tradepit.agent.errors import ModelUnavailableError
from tradepit.battle import BattleConfig, Competitor
from tradepit.prompts.loader import decision_symbols

START = datetime(2017, 9, 25, tzinfo=UTC)
END = datetime(2017, 10, 14, tzinfo=UTC)
"""15 sessions (2017-09-25 .. 2017-10-13), inside every bundled series."""


def small_config(**overrides: Any) -> BattleConfig:
    values: dict[str, Any] = {
        "models": ("rules:supertrend", "rules:sma_cross", "rules:buy_and_hold"),
        "symbols": ("SPX", "MSFT"),
        "start": START,
        "end": END,
        "commission_pct": 0.0005,
        "slippage_bps": 2.0,
        "concurrency": "sequential",
    }
    return BattleConfig(**(values | overrides))


class Scripted:
    """A model answering each cycle with `calls(symbols, n)` tool calls, then DECISION lines.
    `n` counts the cycles it has seen; every call costs `tokens` and `usd`."""

    def __init__(
        self,
        name: str,
        calls: Callable[[tuple[str, ...], int], list[tuple[str, dict[str, Any]]]],
        tokens: tuple[int, int] = (1200, 60),
        usd: float = 0.0,
    ) -> None:
        self.name, self.calls = name, calls
        self.tokens, self.usd = tokens, usd
        self.cycles = 0
        self.requests: list[list[dict[str, Any]]] = []

    def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AssistantTurn:
        self.requests.append(messages)
        text, steps, turns = conversation(messages)
        symbols = decision_symbols(text) or ()
        usage = Usage(input_tokens=self.tokens[0], output_tokens=self.tokens[1])
        common = {"usage": usage, "cost_usd": self.usd, "model": self.name}
        if not steps:
            self.cycles += 1
            planned = self.calls(symbols, self.cycles - 1)
            if planned:
                calls = tuple(
                    ToolCall(id=f"{self.name}-{turns}-{i}", name=n, arguments=json.dumps(a))
                    for i, (n, a) in enumerate(planned)
                )
                return AssistantTurn(tool_calls=calls, **common)
        lines = [f"DECISION: {s} hold - scripted" for s in symbols]
        return AssistantTurn(text="\n".join(lines), **common)


class Failing:
    """A model whose every call fails like a provider outage."""

    def __init__(self, name: str = "failing") -> None:
        self.name = name
        self.calls = 0

    def complete(self, messages: list, tools: list) -> AssistantTurn:
        self.calls += 1
        raise ModelUnavailableError(f"{self.name}: 503 after 4 attempts")


class Crashing:
    """A backend with a bug: it raises something that is not a ModelError."""

    name = "crashing"

    def complete(self, messages: list, tools: list) -> AssistantTurn:
        raise RuntimeError("backend bug")


def factory(models: dict[str, Callable[[], Any]]) -> Callable[[Competitor, int], Any]:
    """A backend factory: `models[spec]()` for scripted specs, else make_backend."""
    from tradepit.agent.backends import make_backend

    def make(competitor: Competitor, sample: int) -> Any:
        found = models.get(competitor.model)
        return make_backend(competitor.model) if found is None else found()

    return make


def snoop(symbols: tuple[str, ...], n: int) -> list[tuple[str, dict[str, Any]]]:
    """Every market tool, asking for as much as it can (including the future)."""
    out: list[tuple[str, dict[str, Any]]] = [("get_account", {})]
    for s in symbols:
        out += [
            ("get_quote", {"symbol": s}),
            ("get_bars", {"symbol": s, "lookback": 250, "closes": 30}),
            ("get_indicators", {"symbol": s, "indicators": ["rsi", "sma:50", "supertrend"]}),
            ("get_signal", {"symbol": s, "strategy": "macd_rsi"}),
        ]
    if n in (0, 5):  # backtests are slow: two cycles only
        s = symbols[0]
        out += [
            ("run_backtest", {"strategy": "supertrend", "symbol": s}),
            ("run_backtest", {"strategy": "supertrend", "symbol": s, "end": "2199-12-31"}),
        ]
    if n == 0:
        out.append(("place_order", {"symbol": symbols[0], "side": "buy", "notional": 5000}))
    return out


def buy_first(symbols: tuple[str, ...], n: int) -> list[tuple[str, dict[str, Any]]]:
    """Buys the last symbol on every cycle."""
    return [("place_order", {"symbol": symbols[-1], "side": "buy", "notional": 3000})]
