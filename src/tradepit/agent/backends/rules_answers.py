"""Plain-language sentences for the rules backend, written only from tool results.

Orders are described as the broker reported them: "accepted, not filled yet" for an
accepted market order, a fill only when the broker reports one, denials and rejections with
their reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from tradepit.agent.backends.intents import CAPABILITIES
from tradepit.tools._orders import resize_phrase


@dataclass(frozen=True)
class Step:
    """One tool call made since the last user message, with its (parsed) result."""

    name: str
    args: dict[str, Any]
    result: dict[str, Any]

    @property
    def ok(self) -> bool:
        return "error" not in self.result


def parse_content(content: Any) -> dict[str, Any]:
    """A tool message's content as a dict; text that is not a JSON object is kept as an
    error message (e.g. a person rejecting an order in chat)."""
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    try:
        data = json.loads(content or "")
    except (TypeError, ValueError):
        return {"error": "ToolMessage", "message": str(content)}
    return data if isinstance(data, dict) else {"error": "ToolMessage", "message": str(data)}


def help_text(prefix: str = "I can help with") -> str:
    return prefix + ":\n" + "\n".join(f"- {c}" for c in CAPABILITIES)


def _signed(x: float | None, unit: str = "%") -> str:
    return "n/a" if x is None else f"{_cents(x) + 0.0:+.2f}{unit}"


def _money(x: float | None) -> str:
    if x is None:
        return "n/a"
    x = _cents(x) + 0.0  # a loss that rounds to nothing shows as $0.00, not -$0.00
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def _cents(x: float) -> float:
    return round(float(x), 2)


def _qty(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


def order_phrase(order: dict[str, Any]) -> str:
    """ "buy 10 MSFT market (id paper-o1): accepted, not filled yet; stop 42.4, target 45.87",
    "sell 10 MSFT stop 42.4 (id paper-o3): ...", "buy 5 MSFT limit @ 40 (id ...): ..." """
    size = _qty(order["qty"]) if order.get("qty") is not None else _money(order.get("notional"))
    trigger = f" {order['stop_price']:g}" if order.get("stop_price") else ""
    price = f" @ {order['limit_price']:g}" if order.get("limit_price") else ""
    kind = f"{order['type']}{trigger}{price}"
    head = f"{order['side']} {size} {order['symbol']} {kind} (id {order['id']})"
    status = order["status"]
    if status == "filled":
        state = f"filled {order['filled_qty']:g} at {order['filled_avg_price']:g}"
    elif status == "partially_filled":
        state = f"partially filled {order['filled_qty']:g} at {order['filled_avg_price']:g}"
    elif status in ("new", "accepted"):
        state = f"{status} by the broker, not filled yet"
    else:
        state = status + (f" ({order['reject_reason']})" if order.get("reject_reason") else "")
    exits = [
        f"{word} {order[key]:g}"
        for key, word in (("stop_loss", "stop"), ("take_profit", "target"))
        if order.get(key) is not None
    ]
    if exits and status in _ENDED_UNFILLED:
        return f"{head}: {state}, with its exits ({', '.join(exits)})"
    return f"{head}: {state}" + (f"; {', '.join(exits)}" if exits else "")


_ENDED_UNFILLED = frozenset({"canceled", "rejected", "expired"})
"""Statuses of an order that ended without a fill: its stop-loss and take-profit went
with it (said so, not listed as if they were still working)."""


_NOTHING = {
    "close_all": "No open positions: nothing to close.",
    "cancel_all": "No open orders: nothing to cancel.",
}
_DOING = {"close_all": "Closing {n} position{s}:", "cancel_all": "Canceling {n} open order{s}:"}


def after_all(kind: str, steps: list[Step]) -> str:
    """The answer to "close all" / "cancel all orders": what each close or cancel did, not
    the positions or orders listed before them (the state before the actions)."""
    listing, *acts = steps
    if not listing.ok:
        return describe(listing)
    if not acts:
        return _NOTHING[kind]
    head = _DOING[kind].format(n=len(acts), s="" if len(acts) == 1 else "s")
    return "\n".join([head, *(describe(step) for step in acts)])


def _order_outcome(r: dict[str, Any], args: dict[str, Any]) -> str:
    outcome, risk = r.get("outcome"), r.get("risk") or {}
    if outcome == "denied_by_risk":
        return (
            f"The risk gate denied the order, nothing was sent: {r.get('reason') or 'no reason'}."
        )
    if outcome == "rejected_by_broker" and not r.get("order"):
        return f"The broker rejected the order: {r.get('reason')}."
    text = order_phrase(r["order"])
    if outcome == "duplicate":
        return f"This order was already placed earlier in this cycle: {text}."
    if outcome == "canceled":
        return f"Nothing was held yet: {str(r.get('reason')).removeprefix('nothing held; ')}."
    note = "".join(f" It was {p}." for p in _resizes(risk))
    if r.get("stale"):
        note += f" Note: {r['stale']}: the price is not current."
    return f"{_converted(args, r)}Order {text}.{note}"


def _resizes(risk: dict[str, Any]) -> list[str]:
    """The gate's cuts of the quantity, in words (see `resize_phrase`)."""
    pairs = (reason.partition(": ")[::2] for reason in risk.get("reasons") or ())
    return [p for code, message in pairs if (p := resize_phrase(code, message))]


def _converted(args: dict[str, Any], r: dict[str, Any]) -> str:
    """ "$5,000 → 1 SPX (~$2,507). " for an order asked for in dollars."""
    risk, order = r.get("risk") or {}, r.get("order") or {}
    if args.get("notional") is None or risk.get("qty") is None:
        return ""
    est = risk.get("est_notional")
    worth = f" (~${est:,.0f})" if est else ""
    asked = _money(args["notional"]).removesuffix(".00")
    return f"{asked} → {_qty(risk['qty'])} {order.get('symbol', args.get('symbol'))}{worth}. "


_PARTS = {1 / 2: "Half", 1 / 3: "A third", 2 / 3: "Two thirds", 1 / 4: "A quarter",
          3 / 4: "Three quarters"}  # fmt: skip


def part_of_position(
    args: dict[str, Any], positions: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, str]:
    """The order for "sell half my MSFT" (None when there is none to place) and the sentence
    that says how its quantity was found: the fraction of the held quantity, rounded down to
    whole shares when the holding is whole (else to 1e-9); it may only reduce the position."""
    symbol, side, fraction = args["symbol"], args["side"], args["fraction"]
    part = _PARTS.get(fraction, f"{100 * fraction:g}%")
    held = next((p["qty"] for p in positions if p["symbol"] == symbol), 0.0)
    if held == 0:
        return None, f"You hold no {symbol}, so there is no part of it to trade. Nothing was sent."
    if (held > 0) != (side == "sell"):
        way, other = ("long", "sell") if held > 0 else ("short", "buy back")
        return None, (
            f"You are {way} {_qty(abs(held))} {symbol}: a {side} would add to it. To reduce "
            f"it: '{other} {part.lower()} of my {symbol}'. Nothing was sent."
        )
    size = Decimal(repr(abs(held)))
    step = Decimal(1) if size == size.to_integral_value() else Decimal("1e-9")
    exact = size * Decimal(repr(fraction))
    qty = (exact / step).to_integral_value(ROUND_FLOOR) * step
    of = f"{part} of your {_qty(float(size))} {symbol}"
    if qty <= 0:
        return None, f"{of} is less than one share. Nothing was sent."
    rounded = " (rounded down)" if qty != exact else ""
    said = f"{of} is {_qty(float(qty))}{rounded}:"
    return {"symbol": symbol, "side": side, "qty": float(qty)}, said


def latest_only(kind: str, args: dict[str, Any], day: str) -> str:
    """The note for a message that names a date chat cannot answer for."""
    note = f"Dates are not supported in chat: this is for the latest bar, not {day}."
    if kind == "indicators" and args.get("symbol"):
        note += f" For {day}, run: tradepit indicators {args['symbol']} --at {day}"
    return note


def _quote(r: dict[str, Any]) -> str:
    return (
        f"{r['symbol']} is at {r['price']:g} ({_signed(r.get('change_pct'))} vs the previous "
        f"close), as of {r['as_of']}."
    )


def _indicators(r: dict[str, Any]) -> str:
    values = ", ".join(
        f"{k} {'n/a' if v is None else format(v, 'g')}" for k, v in r["values"].items()
    )
    return f"{r['symbol']} on the {r['as_of']} bar (close {r['close']:g}): {values}."


def _account(r: dict[str, Any]) -> str:
    reasons = f" ({', '.join(r['state_reasons'])})" if r.get("state_reasons") else ""
    return (
        f"Equity {_money(r['equity'])}, cash {_money(r['cash'])}, buying power "
        f"{_money(r['buying_power'])}; today {_money(r['day_pnl'])} "
        f"({_signed(r.get('day_pnl_pct'))}), drawdown {_signed(r.get('drawdown_pct'))}; "
        f"trading state {r['state']}{reasons}."
    )


def _positions(r: dict[str, Any]) -> str:
    if not r["positions"]:
        return "No open positions."
    items = "; ".join(
        f"{p['symbol']} {p['qty']:g} @ {p['avg_entry']:g} (now {p['price']:g}, unrealised "
        f"{_money(p['unrealized_pnl'])}, {_signed(p.get('unrealized_pct'))})"
        for p in r["positions"]
    )
    return f"Positions: {items}. Total unrealised {_money(r['total_unrealized_pnl'])}."


def _orders(r: dict[str, Any]) -> str:
    if not r["orders"]:
        return "No orders."
    shown = "; ".join(order_phrase(o) for o in r["orders"])
    more = f" ({r['total'] - len(r['orders'])} more)" if r["total"] > len(r["orders"]) else ""
    return f"Orders: {shown}{more}."


def _backtest(r: dict[str, Any]) -> str:
    values = ", ".join(f"{k} {v:g}" for k, v in r["params"].items() if not isinstance(v, bool))
    source = f"{values}; {r['params_source']}" if values else r["params_source"]
    return (
        f"Backtest of {r['strategy']} on {r['symbol']} {r['start']}..{r['end']} "
        f"({r['bars']} bars, {source}): return {_signed(r.get('return_pct'))} vs "
        f"buy-and-hold {_signed(r.get('buy_and_hold_pct'))}, CAGR {_signed(r.get('cagr_pct'))}, "
        f"Sharpe {r.get('sharpe')}, max drawdown {_signed(r.get('max_drawdown_pct'))}, "
        f"{r['trades']} trades, win rate {r.get('win_rate_pct')}%."
    )


def _signal(r: dict[str, Any]) -> str:
    stop = f", stop {r['stop']:g}" if r.get("stop") is not None else ""
    return (
        f"{r['strategy']} on {r['symbol']} ({r['as_of']} bar, close {r['close']:g}): target "
        f"{r['target']:+g}{stop}; current position {r['position_qty']:g}."
    )


def _strategy(r: dict[str, Any]) -> str:
    params = ", ".join(f"{k}={v}" for k, v in r["params"].items())
    return (
        f"{r['strategy']}: {r['description']}. Parameters ({r['source']}): {params}. "
        f"Tunable: {'; '.join(r['ranges']) or 'none'}."
    )


def _decision(r: dict[str, Any]) -> str:
    if not r.get("found"):
        return "No trading decision has been recorded yet."
    tools = f" Tools used: {', '.join(r['tool_calls'])}." if r.get("tool_calls") else ""
    rationale = (r.get("rationale") or "no rationale").rstrip()
    end = "" if rationale.endswith((".", "!", "?")) else "."
    return (
        f"Last decision ({r['backend']}, run {r['run_id']} cycle {r['cycle']}, {r['time']}): "
        f"{r['action']} {r.get('symbol') or ''} - {rationale}{end}{tools}"
    )


_DESCRIBE = {
    "get_quote": _quote, "get_indicators": _indicators, "get_account": _account,
    "get_positions": _positions, "get_orders": _orders, "run_backtest": _backtest,
    "get_signal": _signal, "get_strategy_config": _strategy, "get_last_decision": _decision,
    "cancel_order": lambda r: f"Order {order_phrase(r['order'])}.",
    "check_risk": lambda r: f"Risk check: {'approved' if r['risk']['approved'] else 'denied'}.",
    "get_bars": lambda r: f"{r['symbol']} last close {r['last_close']:g}.",
}  # fmt: skip


def describe(step: Step) -> str:
    """One or two sentences about a tool call's result (errors included)."""
    r = step.result
    if not step.ok:
        return f"{step.name} failed ({r.get('error')}): {r.get('message')}"
    if step.name in ("place_order", "close_position"):
        return _order_outcome(r, step.args)
    describer = _DESCRIBE.get(step.name)
    return describer(r) if describer else f"{step.name}: {json.dumps(r)}"
