"""Block Kit builders of the Slack bot: chat replies (text, tables, the broker's answers,
sparkline charts), approval requests with Approve / Reject buttons, and the answers of the
slash commands. Pure functions returning ``(text, blocks)`` or blocks.

Every piece of text from a model, a tool or a user is escaped (`notify_slack.escape`), so
nothing can mention ``<!channel>`` or forge a link; mentions of users are built here from
validated ids only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from tradepit.domain.models import Account, Order, Position, TradingState
from tradepit.integrations.notify_slack import escape
from tradepit.integrations.render import clip, money, qty, signed, table_text

APPROVE = "tradepit_approve"
REJECT = "tradepit_reject"
SECTION_LIMIT = 2900
MAX_TEXT_SECTIONS = 6
SPARK = "▁▂▃▄▅▆▇█"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

Blocks = list[dict[str, Any]]


def mention(user: str | None) -> str:
    """``<@U123>`` for a valid user id, else the escaped text."""
    if user and _USER_ID.match(user):
        return f"<@{user}>"
    return escape(user or "someone")


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 3000)}]}


def code_block(rows: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    return section("```" + clip(escape(table_text(rows)), SECTION_LIMIT) + "```")


def text_sections(text: str) -> Blocks:
    """Escaped text in sections of at most `SECTION_LIMIT` characters."""
    safe = escape(text.strip())
    chunks = [safe[i : i + SECTION_LIMIT] for i in range(0, len(safe), SECTION_LIMIT)]
    if len(chunks) > MAX_TEXT_SECTIONS:
        chunks = [*chunks[: MAX_TEXT_SECTIONS - 1], clip(chunks[MAX_TEXT_SECTIONS - 1], 2000)]
    return [section(chunk) for chunk in chunks]


def sparkline(values: Sequence[float]) -> str:
    """A one-line chart of `values` (eight levels)."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo
    top = len(SPARK) - 1
    return "".join(SPARK[round((v - lo) / span * top) if span else top // 2] for v in values)


def chart_line(symbol: str, closes: Sequence[float]) -> str:
    """``MSFT ▁▃▅█ 83.87 (+4.10% over 60 bars)`` in mrkdwn."""
    change = (closes[-1] / closes[0] - 1) * 100 if closes and closes[0] else 0.0
    return (
        f"`{escape(symbol)}` {sparkline(closes)} {closes[-1]:,.2f} "
        f"({change:+.2f}% over {len(closes)} bars)"
    )


# -- chat replies ----------------------------------------------------------------------------


def _num(value: Any) -> str:
    if value is None or value == "":
        return "-"
    try:
        return qty(Decimal(str(value)))
    except ArithmeticError:
        return str(value)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _money(value: Any) -> str:
    return "-" if value is None else money(_dec(value))


def order_line(order: Mapping[str, Any]) -> str:
    """The broker's answer for one order: side, size, symbol, type, status, id, fill."""
    size = _num(order.get("qty")) if order.get("qty") is not None else f"${order.get('notional')}"
    line = (
        f"{str(order.get('side', '')).upper()} {size} {order.get('symbol')} "
        f"{order.get('type')} → {str(order.get('status', '')).upper()} (order {order.get('id')}"
    )
    if Decimal(str(order.get("filled_qty") or 0)):
        line += f", filled {_num(order['filled_qty'])} @ {_num(order.get('filled_avg_price'))}"
    if order.get("reject_reason"):
        line += f", {order['reject_reason']}"
    return line + ")"


def broker_lines(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per order-tool step: what the broker answered, or why nothing was sent."""
    lines = []
    for step in steps:
        if step.get("name") not in ("place_order", "close_position", "cancel_order"):
            continue
        output = step.get("output") or {}
        if step.get("order"):
            lines.append(":white_check_mark: Broker: " + escape(order_line(step["order"])))
        elif not step.get("ok"):
            why = f"{step.get('error_type')}: {step.get('error')}"
            lines.append(":no_entry: Not sent: " + escape(clip(why, 500)))
        elif output.get("outcome") in ("denied_by_risk", "rejected_by_broker"):
            why = f"{output['outcome']}: {output.get('reason') or ''}"
            lines.append(":no_entry: Not sent: " + escape(clip(why, 500)))
    return lines


def positions_rows(positions: Sequence[Position]) -> tuple[tuple[str, ...], ...]:
    header = ("Symbol", "Qty", "Avg entry", "Price", "Value", "Unrealized")
    body = [
        (p.symbol, qty(p.qty), money(p.avg_entry_price), money(p.market_price),
         money(p.market_value), signed(p.unrealized_pnl))
        for p in positions
    ]  # fmt: skip
    return (header, *body)


def orders_rows(orders: Sequence[Order | Mapping[str, Any]]) -> tuple[tuple[str, ...], ...]:
    header = ("Id", "Symbol", "Side", "Qty", "Type", "Status", "Filled")
    body = []
    for order in orders:
        o = order.model_dump(mode="json") if isinstance(order, Order) else order
        size = _num(o.get("qty")) if o.get("qty") is not None else f"${o.get('notional')}"
        price = o.get("limit_price") or o.get("stop_price")
        kind = f"{o.get('type')} @ {_num(price)}" if price is not None else str(o.get("type"))
        body.append(
            (str(o.get("id")), str(o.get("symbol")), str(o.get("side")), size, kind,
             str(o.get("status")), _num(o.get("filled_qty")))
        )  # fmt: skip
    return (header, *body)


def _step_tables(steps: Sequence[Mapping[str, Any]]) -> Blocks:
    blocks: Blocks = []
    for step in steps:
        output = step.get("output") or {}
        if not step.get("ok"):
            continue
        if step.get("name") == "get_positions" and output.get("positions"):
            rows = [
                (p["symbol"], _num(p["qty"]), _money(p["avg_entry"]), _money(p["price"]),
                 _money(p["market_value"]), signed(_dec(p["unrealized_pnl"])))
                for p in output["positions"]
            ]  # fmt: skip
            blocks.append(code_block((positions_rows([])[0], *rows)))
        elif step.get("name") == "get_orders" and output.get("orders"):
            blocks.append(code_block(orders_rows(output["orders"])))
    return blocks


def reply_blocks(reply: Any, charts: Mapping[str, Sequence[float]] | None = None):
    """``(fallback text, blocks)`` of an `AgentService` reply (answered or aborted)."""
    text = reply.text or "(no answer)"
    blocks: Blocks = []
    if reply.status == "aborted":
        text = f"The turn was aborted ({reply.error_type}): {text}"
        blocks.append(section(":warning: " + escape(clip(text, SECTION_LIMIT))))
    else:
        blocks.extend(text_sections(text))
    blocks.extend(_step_tables(reply.steps))
    lines = broker_lines(reply.steps)
    if lines:
        blocks.append(section("\n".join(lines)))
    for symbol, closes in (charts or {}).items():
        if closes:
            blocks.append(context(chart_line(symbol, closes)))
    tools = ", ".join(dict.fromkeys(str(s.get("name")) for s in reply.steps))
    if tools:
        blocks.append(context(f"tools: {escape(tools)}"))
    return clip(escape(text), 3000), blocks[:50]


# -- approvals -------------------------------------------------------------------------------


def _order_fields(approval: Mapping[str, Any]) -> list[dict[str, Any]]:
    verdict = approval.get("verdict") or {}
    order = verdict.get("adjusted_request") or approval.get("request") or {}
    size = _num(order.get("qty")) if order.get("qty") is not None else f"${order.get('notional')}"
    kind = str(order.get("type", "market"))
    for name in ("limit_price", "stop_price"):
        if order.get(name) is not None:
            kind += f" @ {_num(order[name])}"
    pairs = [
        ("Symbol", order.get("symbol")),
        ("Side", str(order.get("side", "")).upper()),
        ("Size", size),
        ("Type", kind),
        ("Est. notional", f"${money(Decimal(str(approval.get('notional') or 0)))}"),
        ("Time in force", str(order.get("time_in_force", "")).upper()),
        ("Stop loss", _num(order.get("stop_loss"))),
        ("Take profit", _num(order.get("take_profit"))),
    ]
    return [{"type": "mrkdwn", "text": f"*{n}*\n{escape(str(v))}"} for n, v in pairs]


def verdict_text(verdict: Mapping[str, Any]) -> str:
    """The risk gate's verdict: passed or denied, the trading state, and every reason."""
    passed = "passed" if verdict.get("approved") else "denied"
    state = str(verdict.get("state", "")).upper()
    lines = [f"*Risk gate:* {passed} (trading {state})"]
    for reason in verdict.get("reasons") or ():
        mark = ":no_entry:" if reason.get("blocking") else "•"
        lines.append(f"{mark} `{escape(str(reason.get('code')))}` {escape(reason.get('message'))}")
    return "\n".join(lines)


def _order_blocks(approval: Mapping[str, Any], title: str) -> Blocks:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": clip(title, 150)}},
        section(f"*{escape(str(approval.get('summary', '')))}*"),
        {"type": "section", "fields": _order_fields(approval)},
        section(verdict_text(approval.get("verdict") or {})),
    ]


def approval_blocks(
    approval: Mapping[str, Any], requested_by: str | None, expires_at: datetime, value: str
) -> Blocks:
    """The approval request: the order, the risk verdict, and Approve / Reject buttons."""
    confirm = {
        "title": {"type": "plain_text", "text": "Send this order?"},
        "text": {"type": "plain_text", "text": clip(str(approval.get("summary", "")), 300)},
        "confirm": {"type": "plain_text", "text": "Send"},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
    buttons = [
        {"type": "button", "action_id": APPROVE, "style": "primary", "value": value,
         "text": {"type": "plain_text", "text": "Approve"}, "confirm": confirm},
        {"type": "button", "action_id": REJECT, "style": "danger", "value": value,
         "text": {"type": "plain_text", "text": "Reject"}},
    ]  # fmt: skip
    when = expires_at.strftime("%H:%M UTC")
    return [
        *_order_blocks(approval, "Order waiting for approval"),
        context(f"Requested by {mention(requested_by)} · approvers only · expires {when}"),
        {"type": "actions", "block_id": "tradepit_approval", "elements": buttons},
    ]


def resolved_blocks(approval: Mapping[str, Any], outcome: str) -> Blocks:
    """The approval message once answered (no buttons left), with `outcome` (mrkdwn)."""
    return [*_order_blocks(approval, "Order approval closed"), section(outcome)]


# -- slash commands --------------------------------------------------------------------------


def status_blocks(
    account: Account, state: TradingState, positions: int, orders: int, pending: int
) -> Blocks:
    day = account.equity - account.last_equity
    fields = [
        ("Trading", state.value.upper()),
        ("Equity", f"${money(account.equity)}"),
        ("Cash", f"${money(account.cash)}"),
        ("Buying power", f"${money(account.buying_power)}"),
        ("Day P&L", signed(day)),
        ("Open positions", str(positions)),
        ("Open orders", str(orders)),
        ("Waiting for approval", str(pending)),
    ]
    return [
        section(f"*tradepit status* · account `{escape(account.id)}`"),
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{n}*\n{escape(v)}"} for n, v in fields],
        },
    ]


def table_blocks(title: str, rows: tuple[tuple[str, ...], ...], empty: str) -> Blocks:
    if len(rows) <= 1:
        return [section(f"*{escape(title)}*\n{escape(empty)}")]
    return [section(f"*{escape(title)}*"), code_block(rows)]


HELP = (
    "*tradepit* — `/tradepit ask <question>` · `status` · `positions` · `orders` · "
    "`battle` · `halt [reason]` · `resume` (approvers)\n"
    "Mention me in a channel or DM me: each thread is one conversation. Orders above the "
    "approval threshold wait for an approver's click."
)
