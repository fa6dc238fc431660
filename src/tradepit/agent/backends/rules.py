"""`rules:<strategy>`: the offline, deterministic model. It acts only through tool calls,
like an LLM: each `complete` returns tool calls or a final text, and the next call sees the
tool results in the messages. It keeps no state between calls (everything is re-derived from
the messages since the last user message), costs nothing and uses no tokens.

Cycle / battle (the last user message is a decision prompt with a ``Symbols:`` line):
1. get_account and get_signal(symbol, strategy) for every symbol;
2. where the signal's target direction differs from the position (pending orders included):
   close_position and/or place_order (notional = equity x |target| x `size`, stop-loss at the
   strategy's stop when it is on the right side);
3. a final text with one ``DECISION: <SYMBOL> <action> - <rationale>`` line per symbol that
   reports the broker's real answers.

Subclasses add reads to the first step (`_reads`) and may veto an entry (`_veto`): see
`rules_recall` (``rules:<strategy>+recall``), which consults the memory.

Chat: `intents.parse_intent` maps the request to tool calls; the answer is written from the
tool results (see `rules_answers`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from tradepit.agent.backends.base import AssistantTurn, ToolCall
from tradepit.agent.backends.intents import Intent, parse_intent
from tradepit.agent.backends.rules_answers import (
    Step,
    after_all,
    describe,
    help_text,
    latest_only,
    parse_content,
    part_of_position,
)
from tradepit.agent.errors import ModelOutputError
from tradepit.prompts.loader import decision_symbols
from tradepit.strategies import get_strategy

ORDER_TOOLS = frozenset({"place_order", "close_position"})
_NEEDS_SYMBOL = frozenset(
    {"quote", "indicators", "backtest", "order", "close", "signal", "order_part"}
)
_FIRST_CALL = {
    "quote": "get_quote", "indicators": "get_indicators", "account": "get_account",
    "positions": "get_positions", "orders": "get_orders", "backtest": "run_backtest",
    "order": "place_order", "cancel": "cancel_order", "close": "close_position",
    "explain": "get_last_decision", "strategy": "get_strategy_config", "signal": "get_signal",
}  # fmt: skip


def _sign(x: float) -> int:
    return 0 if x == 0 else int(math.copysign(1, x))


def conversation(messages: Sequence[dict[str, Any]]) -> tuple[str, list[Step], int]:
    """The last user message, the tool steps after it, and the number of assistant
    messages in the whole conversation (for unique call ids)."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    text = str(messages[last_user].get("content") or "") if last_user >= 0 else ""
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    steps: list[Step] = []
    for m in messages[last_user + 1 :]:
        for c in m.get("tool_calls") or () if m.get("role") == "assistant" else ():
            fn = c.get("function", c)
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except ValueError:
                args = {}
            calls[c["id"]] = (fn["name"], args if isinstance(args, dict) else {})
        if m.get("role") == "tool" and m.get("tool_call_id") in calls:
            name, args = calls[m["tool_call_id"]]
            steps.append(Step(name, args, parse_content(m.get("content"))))
    turns = sum(1 for m in messages if m.get("role") == "assistant")
    return text, steps, turns


class RulesBackend:
    """A built-in strategy as a model (see the module docstring)."""

    def __init__(self, strategy: str = "supertrend", size: float = 0.1) -> None:
        self.strategy = get_strategy(strategy).name
        self.size = size
        """Fraction of equity per full (|target| = 1) position."""
        self.name = f"rules:{self.strategy}"

    def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AssistantTurn:
        text, steps, turns = conversation(messages)
        offered = {t.get("function", t).get("name") for t in tools}
        symbols = decision_symbols(text)
        if symbols is not None:
            planned, answer = self._cycle(symbols, steps, offered)
        else:
            planned, answer = self._chat(parse_intent(text), steps)
        missing = sorted({name for name, _ in planned} - offered)
        if missing:
            raise ModelOutputError(f"{self.name} needs tools that were not offered: {missing}")
        calls = tuple(
            ToolCall(id=f"rules-{turns}-{i}", name=name, arguments=json.dumps(args))
            for i, (name, args) in enumerate(planned)
        )
        return AssistantTurn(text=answer if not calls else "", tool_calls=calls, model=self.name)

    # -- cycles ----------------------------------------------------------------------------

    def _reads(self, symbols: Sequence[str], offered: set[str]) -> list:
        """The first calls of a cycle: the account and each symbol's signal."""
        reads = [("get_signal", {"symbol": s, "strategy": self.strategy}) for s in symbols]
        return [("get_account", {}), *reads]

    def _cycle(self, symbols: Sequence[str], steps: list[Step], offered: set[str]) -> tuple:
        if not steps:
            return self._reads(symbols, offered), ""
        plans = {s: self._plan(s, steps) for s in symbols}
        acted = any(step.name in ORDER_TOOLS for step in steps)
        if not acted:
            calls = [call for _, _, planned in plans.values() for call in planned]
            if calls:
                return calls, ""
        lines = []
        for symbol, (action, why, planned) in plans.items():
            results = [describe(s) for s in steps if s.name in ORDER_TOOLS and about(s, symbol)]
            if planned and not results:
                results = ["no order was sent"]
            outcome = f" {' '.join(results)}" if results else ""
            lines.append(f"DECISION: {symbol} {action} - {why}.{outcome}")
        return [], "\n".join(lines)

    def _plan(self, symbol: str, steps: list[Step]) -> tuple[str, str, list]:
        """(action, rationale, tool calls) for `symbol` from its signal and the account."""
        signal = next((s for s in steps if s.name == "get_signal" and about(s, symbol)), None)
        if signal is None or not signal.ok:
            why = describe(signal) if signal else "no signal was computed"
            return "hold", f"no decision possible: {why}", []
        r = signal.result
        want, held = _sign(r["target"]), _sign(r["position_qty"])
        basis = (
            f"{r['strategy']} target {r['target']:+g} on the {r['as_of']} bar "
            f"(close {r['close']:g}), position {r['position_qty']:g}"
        )
        if want == held:
            return "hold", f"{basis}: already aligned", []
        calls: list = [("close_position", {"symbol": symbol})] if held else []
        veto = self._veto(symbol, want, steps) if want else None
        if veto:
            return ("close" if held else "hold"), f"{basis}; entry skipped: {veto}", calls
        account = next((s for s in steps if s.name == "get_account" and s.ok), None)
        if want and account is None:
            return (
                ("close" if held else "hold"),
                f"{basis}; no account data to size an entry",
                calls,
            )
        if want:
            calls.append(("place_order", self._entry(symbol, r, account.result["equity"])))
        action = "close" if not want else ("buy" if want > 0 else "sell")
        return action, basis, calls

    def _veto(self, symbol: str, want: int, steps: list[Step]) -> str | None:
        """Why not to enter `want` (+1 long, -1 short) now, or None: no veto here (the
        memory-aware variant overrides this)."""
        return None

    def _entry(self, symbol: str, signal: dict[str, Any], equity: float) -> dict[str, Any]:
        long = signal["target"] > 0
        notional = round(equity * abs(signal["target"]) * self.size, 2)
        args: dict[str, Any] = {
            "symbol": symbol,
            "side": "buy" if long else "sell",
            "notional": notional,
        }
        stop, close = signal.get("stop"), signal["close"]
        if stop is not None and (stop < close if long else stop > close):
            args["stop_loss"] = stop
        return args

    # -- chat ------------------------------------------------------------------------------

    def _chat(self, intent: Intent, steps: list[Step]) -> tuple[list, str]:
        if intent.kind == "help":
            return [], help_text()
        if intent.kind == "unknown":
            return [], help_text("I did not understand that. I can help with")
        if intent.kind == "refused":
            return [], intent.args["message"]
        if intent.kind == "order_qty":
            side, symbol = intent.args["side"], intent.args.get("symbol") or "MSFT"
            return [], (
                f"How much? Give a quantity above 0, for example '{side} 10 {symbol}' or "
                f"'{side} $1,000 of {symbol}'. Nothing was sent."
            )
        if intent.kind in _NEEDS_SYMBOL and not intent.args.get("symbol"):
            return [], "Which symbol do you mean? For example: 'price of MSFT'."
        if not steps:
            return self._first_calls(intent), ""
        if len(steps) == 1 and steps[0].ok and intent.kind in ("cancel_all", "close_all"):
            follow = self._follow_up(intent, steps[0])
            if follow:
                return follow, ""
        if intent.kind == "order_part":
            return self._part(intent, steps)
        if intent.kind in ("cancel_all", "close_all"):
            return [], after_all(intent.kind, steps)
        answer = "\n".join(describe(s) for s in steps)
        if intent.kind == "cancel" and "order_id" not in intent.args:
            answer = f"Which order should I cancel? Tell me its id.\n{answer}"
        if intent.day:
            answer = f"{latest_only(intent.kind, intent.args, intent.day)}\n{answer}"
        return [], answer

    def _first_calls(self, intent: Intent) -> list:
        kind, args = intent.kind, dict(intent.args)
        if kind == "portfolio":
            return [("get_account", {}), ("get_positions", {}), ("get_orders", {})]
        if kind == "cancel_all" or (kind == "cancel" and "order_id" not in args):
            return [("get_orders", {"status": "open", "limit": 50})]
        if kind in ("close_all", "order_part"):
            return [("get_positions", {})]
        if kind == "orders_several":
            return [("place_order", order) for order in args["orders"]]
        return [(_FIRST_CALL[kind], args)]

    def _part(self, intent: Intent, steps: list[Step]) -> tuple[list, str]:
        """ "sell half my MSFT": the order for that part of the position, then its answer."""
        listing, *placed = steps
        if not listing.ok:
            return [], describe(listing)
        order, said = part_of_position(intent.args, listing.result["positions"])
        if placed:
            return [], f"{said} {describe(placed[0])}"
        return ([("place_order", order)], "") if order else ([], said)

    def _follow_up(self, intent: Intent, listing: Step) -> list:
        if intent.kind == "cancel_all":
            only = intent.args.get("symbol")
            orders = [o for o in listing.result["orders"] if only in (None, o.get("symbol"))]
            return [("cancel_order", {"order_id": o["id"]}) for o in orders]
        return [("close_position", {"symbol": p["symbol"]}) for p in listing.result["positions"]]


def about(step: Step, symbol: str) -> bool:
    return str(step.args.get("symbol", "")).upper() == symbol
