"""Events -> a neutral `Message` (title, plain text, fields, table) that each target formats
its own way (Slack Block Kit, Discord embeds). Text here is plain: no markup, no mentions."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import singledispatch

from tradepit.domain.models import Fill, Frozen, OrderStatus, Position, UtcDatetime
from tradepit.integrations.events import (
    AccountSummary,
    BattleFinished,
    DailySummary,
    OrderFilled,
    OrderRejected,
    Ping,
    RiskStateChanged,
    ServiceAlert,
    Severity,
)

_NUMERIC = re.compile(r"^(n/a|[-+$\d])")
MAX_LINES = 10
"""Trades or positions listed one per line before the rest is counted ("+3 more")."""


class MessageField(Frozen):
    name: str
    value: str


class Message(Frozen):
    kind: str
    severity: Severity
    at: UtcDatetime
    title: str
    text: str = ""
    fields: tuple[MessageField, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()
    """Rows of a monospace table; the first row is the header."""


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def signed(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:+,.2f}"


def pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.2f}%"


def qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _fields(*pairs: tuple[str, str | None]) -> tuple[MessageField, ...]:
    return tuple(MessageField(name=n, value=v) for n, v in pairs if v)


def _who(account_id: str, competitor: str | None) -> str:
    return f"{competitor} ({account_id})" if competitor else account_id


def _listed(lines: list[str]) -> list[str]:
    extra = len(lines) - MAX_LINES
    return lines[:MAX_LINES] + ([f"+{extra} more"] if extra > 0 else [])


@singledispatch
def render(event: object) -> Message:
    """The neutral message of a notification event."""
    raise TypeError(f"no renderer for {type(event).__name__}")


@render.register
def _(event: OrderFilled) -> Message:
    f = event.fill
    partial = event.order_status is OrderStatus.PARTIALLY_FILLED
    title = f"{'Partially filled' if partial else 'Filled'}: {_trade(f)}"
    return Message(
        kind=event.kind,
        severity=event.severity,
        at=event.at,
        title=title,
        fields=_fields(
            ("Account", _who(event.account_id, event.competitor)),
            ("Notional", money(f.qty * f.price)),
            ("Commission", money(f.commission)),
            ("Client order id", f.client_order_id),
        ),
    )


@render.register
def _(event: OrderRejected) -> Message:
    size = qty(event.qty) if event.qty is not None else f"${money(event.notional or Decimal(0))}"
    who = "the risk gate" if event.source == "risk" else "the broker"
    return Message(
        kind=event.kind,
        severity=event.severity,
        at=event.at,
        title=f"Order rejected by {who}: {event.side.value.upper()} {size} {event.symbol}",
        text=event.reason
        + (
            f"\n({event.repeats} identical rejection(s) since the last notice were not sent)"
            if event.repeats
            else ""
        ),
        fields=_fields(
            ("Codes", ", ".join(event.codes)),
            ("Account", _who(event.account_id, event.competitor)),
            ("Client order id", event.client_order_id),
        ),
    )


@render.register
def _(event: RiskStateChanged) -> Message:
    lines = [f"{r.code}: {r.message}" for r in event.reasons]
    return Message(
        kind=event.kind,
        severity=event.severity,
        at=event.at,
        title=f"Trading {event.state.value.upper()} ({event.scope})",
        text="\n".join(f"• {line}" for line in lines),
        fields=_fields(
            ("Scope", event.scope),
            ("From", event.previous.value.upper()),
            ("To", event.state.value.upper()),
        ),
    )


_ALERT_TITLES = {
    "circuit_open": "Circuit open: {}",
    "reconciliation_failure": "Reconciliation failed: {}",
    "error": "Error in {}",
}


@render.register
def _(event: ServiceAlert) -> Message:
    retry = f"{event.retry_after:.0f} s" if event.retry_after is not None else None
    return Message(
        kind=event.kind,
        severity=event.severity,
        at=event.at,
        title=_ALERT_TITLES[event.alert].format(event.component),
        text=f"{event.error_type}: {event.message}",
        fields=_fields(("Component", event.component), ("Next trial in", retry)),
    )


@render.register
def _(event: BattleFinished) -> Message:
    rows = sorted(event.rows, key=lambda r: r.rank)
    winner = f": {rows[0].competitor} wins" if rows else ""
    header = ("#", "Competitor", "Equity", "Return", "Trades", "Inference")
    body = [
        (str(r.rank), r.competitor, money(r.equity), pct(r.return_pct), str(r.trades),
         f"${money(r.inference_cost)}")
        for r in rows
    ]  # fmt: skip
    return Message(
        kind=event.kind,
        severity=event.severity,
        at=event.at,
        title=f"Battle {event.battle_id} finished{winner}",
        table=(header, *body) if body else (),
    )


@render.register
def _(event: DailySummary) -> Message:
    title = f"Daily summary {event.session.isoformat()} (XNYS close)"
    state = ("Risk state", event.state.value.upper())
    rejected = ("Rejected orders", _rejections(event))
    if any(a.competitor for a in event.accounts) or len(event.accounts) > 1:
        header = ("Competitor", "Equity", "Day", "Total", "Trades", "Open", "State")
        rows = [_summary_row(a) for a in event.accounts]
        return Message(
            kind=event.kind,
            severity=event.severity,
            at=event.at,
            title=title,
            fields=_fields(state, rejected),
            table=(header, *rows),
        )
    account = event.accounts[0] if event.accounts else AccountSummary(account_id="-")
    return Message(
        kind=event.kind,
        severity=event.severity,
        at=event.at,
        title=title,
        text=_account_text(account),
        fields=_fields(
            ("Account", account.account_id),
            ("Equity", money(account.equity) if account.equity is not None else "n/a"),
            ("Day P&L", f"{signed(account.day_pnl)} ({pct(account.day_return)})"),
            ("Since inception", f"{signed(account.total_pnl)} ({pct(account.total_return)})"),
            ("Trades", str(len(account.trades))),
            state,
            rejected,
        ),
    )


def _rejections(event: DailySummary) -> str | None:
    """``MSFT trading_halted (risk) x25, 1 sent; ...``, or None when nothing was refused."""
    parts = [
        f"{r.symbol} {', '.join(r.codes) or 'rejected'} ({r.source}) x{r.count}, {r.notified} sent"
        for r in event.rejections
    ]
    return "; ".join(_listed(parts)) if parts else None


@render.register
def _(event: Ping) -> Message:
    return Message(
        kind=event.kind, severity=event.severity, at=event.at, title="tradepit", text=event.text
    )


def _trade(f: Fill) -> str:
    return f"{f.side.value.upper()} {qty(f.qty)} {f.symbol} @ {money(f.price)}"


def _position(p: Position) -> str:
    return (
        f"{p.symbol} {qty(p.qty)} @ {money(p.avg_entry_price)}, now {money(p.market_price)} "
        f"(unrealized {signed(p.unrealized_pnl)})"
    )


def _account_text(account: AccountSummary) -> str:
    parts: list[str] = []
    if account.trades:
        lines = _listed([_trade(f) for f in account.trades])
        parts += ["Trades:", *(f"• {line}" for line in lines)]
    if account.positions:
        lines = _listed([_position(p) for p in account.positions])
        parts += ["Open positions:", *(f"• {line}" for line in lines)]
    else:
        parts.append("No open positions.")
    return "\n".join(parts)


def _summary_row(a: AccountSummary) -> tuple[str, ...]:
    return (
        a.competitor or a.account_id,
        money(a.equity) if a.equity is not None else "n/a",
        f"{signed(a.day_pnl)} ({pct(a.day_return)})",
        f"{signed(a.total_pnl)} ({pct(a.total_return)})",
        str(len(a.trades)),
        str(len(a.positions)),
        a.state.value.upper(),
    )


def table_text(rows: tuple[tuple[str, ...], ...]) -> str:
    """Rows as aligned monospace text: numeric columns right-aligned, text left-aligned."""
    if not rows:
        return ""
    columns = list(zip(*rows, strict=True))
    widths = [max(len(cell) for cell in column) for column in columns]
    right = [all(_NUMERIC.match(cell) for cell in column[1:]) for column in columns]
    lines = [
        "  ".join(
            cell.rjust(w) if r else cell.ljust(w)
            for cell, w, r in zip(row, widths, right, strict=True)
        )
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
