"""Text for the chat UI, written only from what the tools and the broker returned: tool
step inputs and outputs, the order waiting for approval with its risk verdict, and the
portfolio tables. Pure functions (no Chainlit)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Row = Sequence[Any]


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=False, default=str, ensure_ascii=False)


def step_input(step: Mapping[str, Any]) -> str:
    """The tool call's arguments as indented JSON (raw text when not JSON)."""
    raw = step.get("arguments") or "{}"
    try:
        return pretty_json(json.loads(raw))
    except (TypeError, ValueError):
        return str(raw)


def step_output(step: Mapping[str, Any]) -> str:
    """What the tool returned (JSON), or why it failed; a person's rejection says so."""
    approval = step.get("approval")
    if approval is not None and not approval.get("approved"):
        note = f": {approval['note']}" if approval.get("note") else ""
        return f"Rejected by {approval.get('by', 'user')}{note}. The order was not sent."
    if not step.get("ok"):
        return f"{step.get('error_type') or 'Error'}: {step.get('error') or ''}".strip()
    return pretty_json(step.get("output") or {})


def model_step(update: Mapping[str, Any]) -> str:
    """What one model call returned (a `model` node update): the tool calls it asked for,
    its text, and the turn's usage so far."""
    messages = update.get("messages") or [{}]
    turn = messages[-1] if isinstance(messages, list) and messages else {}
    calls = [
        {
            "tool": c.get("function", {}).get("name"),
            "arguments": c.get("function", {}).get("arguments"),
        }
        for c in turn.get("tool_calls") or ()
    ]
    outcome = update.get("outcome") or {}
    body: dict[str, Any] = {}
    if calls:
        body["tool_calls"] = calls
    if turn.get("content"):
        body["text"] = turn["content"]
    if outcome.get("status") == "aborted":
        body["aborted"] = f"{outcome.get('error_type')}: {outcome.get('reason')}"
    usage = update.get("usage") or {}
    if usage:
        body["turn_usage"] = {k: usage.get(k) for k in ("calls", "tokens", "usd") if k in usage}
    return pretty_json(body)


_CODE = re.compile(r"(`+[^`]*`+)")
_DIRECTIVE = re.compile(r"(?<=\w):(?=[A-Za-z])")


def plain_colons(text: str) -> str:
    """Escape "word:word" colons outside code spans: the chat renders markdown with text
    directives, which would swallow "rules:macd_cross" as a directive named macd_cross."""
    parts = _CODE.split(text)
    return "".join(p if i % 2 else _DIRECTIVE.sub(r"\\:", p) for i, p in enumerate(parts))


def chunks(text: str, size: int = 24) -> list[str]:
    """`text` cut after whitespace into pieces of about `size` characters (for streaming);
    joined they give `text` back exactly."""
    pieces = re.findall(r"\S*\s*", text)
    out: list[str] = []
    current = ""
    for piece in pieces:
        current += piece
        if len(current) >= size:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Iterable[Row]) -> str:
    """A markdown table."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _qty(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


def _signed(x: float | None, unit: str = "%") -> str:
    return "" if x is None else f"{x:+.2f}{unit}"


def approval_markdown(approval: Mapping[str, Any]) -> str:
    """The order waiting for approval: what would be sent and the risk gate's verdict."""
    verdict = approval.get("verdict") or {}
    request = verdict.get("adjusted_request") or approval.get("request") or {}
    fields = (
        ("symbol", "Symbol"), ("side", "Side"), ("qty", "Qty"), ("notional", "Notional"),
        ("type", "Type"), ("limit_price", "Limit"), ("stop_price", "Stop price"),
        ("stop_loss", "Stop-loss"), ("take_profit", "Take-profit"), ("time_in_force", "TIF"),
    )  # fmt: skip
    shown = [(key, label) for key, label in fields if request.get(key) is not None]
    order = table([label for _, label in shown], [[request[key] for key, _ in shown]])
    verdict_word = "approved" if verdict.get("approved") else "denied"
    reasons = [
        (r.get("code", ""), r.get("message", ""), "yes" if r.get("blocking") else "no")
        for r in verdict.get("reasons") or ()
    ]
    parts = [
        f"**Order waiting for your approval:** {approval.get('summary', '')} "
        f"(estimated notional {approval.get('notional', '?')})",
        order,
        f"**Risk gate:** {verdict_word}, trading state {verdict.get('state', '?')}; "
        f"client order id `{request.get('client_order_id', '')}`",
    ]
    if reasons:
        parts.append(table(("Check", "Detail", "Blocking"), reasons))
    parts.append("**Approve** sends it to the broker; **Reject** drops it (and is recorded).")
    return "\n\n".join(parts)


def account_table(account: Mapping[str, Any]) -> str:
    reasons = ", ".join(account.get("state_reasons") or ())
    state = account.get("state", "") + (f" ({reasons})" if reasons else "")
    row = (
        account.get("equity"),
        account.get("cash"),
        account.get("buying_power"),
        f"{account.get('day_pnl', 0):,.2f} {_signed(account.get('day_pnl_pct'))}".strip(),
        _signed(account.get("drawdown_pct")),
        state,
    )
    headers = ("Equity", "Cash", "Buying power", "Day P&L", "Drawdown", "State")
    return table(headers, [row])


def positions_table(positions: Mapping[str, Any]) -> str:
    items = positions.get("positions") or []
    if not items:
        return "No open positions."
    rows = [
        (
            p["symbol"], _qty(p["qty"]), p["avg_entry"], p["price"], p["market_value"],
            p["unrealized_pnl"], _signed(p.get("unrealized_pct")),
        )
        for p in items
    ]  # fmt: skip
    rows.append(
        ("Total", "", "", "", positions.get("total_market_value"),
         positions.get("total_unrealized_pnl"), "")
    )  # fmt: skip
    headers = ("Symbol", "Qty", "Avg entry", "Price", "Market value", "Unrealised P&L", "P&L %")
    return table(headers, rows)


def orders_table(orders: Mapping[str, Any]) -> str:
    items = orders.get("orders") or []
    if not items:
        return "No open orders."
    rows = [
        (
            o["side"],
            _qty(o["qty"]) if o.get("qty") is not None else f"${o.get('notional') or 0:,.2f}",
            o["symbol"], o["type"], o.get("limit_price"), o["status"], _qty(o.get("filled_qty")),
            o.get("stop_loss"), o.get("take_profit"), o["id"],
        )
        for o in items
    ]  # fmt: skip
    headers = (
        "Side", "Qty / $", "Symbol", "Type", "Limit", "Status", "Filled", "Stop", "Target", "Id",
    )  # fmt: skip
    return table(headers, rows)


def portfolio_markdown(
    account: Mapping[str, Any], positions: Mapping[str, Any], orders: Mapping[str, Any]
) -> str:
    """Account, positions with P&L and open orders, as three tables."""
    as_of = account.get("as_of")
    return "\n\n".join(
        (
            f"**Account** (as of {as_of})" if as_of else "**Account**",
            account_table(account),
            "**Positions**",
            positions_table(positions),
            "**Open orders**",
            orders_table(orders),
        )
    )
