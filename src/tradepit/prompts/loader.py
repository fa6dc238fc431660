"""Prompt templates (files under ``templates/``, `string.Template` syntax) and their rendering
with the clock's time, the risk limits and the portfolio/snapshot."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, NamedTuple

from tradepit.domain.errors import ConfigError
from tradepit.risk import RiskLimits
from tradepit.tools._common import iso, num, trading_state

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps, Mode
    from tradepit.agent.snapshot import MarketSnapshot, SymbolView
    from tradepit.memory.models import Recalled

TEMPLATES = Path(__file__).with_name("templates")
DECISION_MEMORY_TOKENS = 300
"""Budget of the memory section of a decision prompt (with 16 tools' schemas, the system
prompt and two symbols the decision prompt then stays under 2,000 tokens)."""
CHAT_MEMORY_TOKENS = 250
"""Budget of the memory section of the chat system prompt."""
MEMORY_LINE_CHARS = 320
"""Longer memories are cut (with an ellipsis) in the prompts; the recall tool has them."""
SYMBOLS_PREFIX = "Symbols:"
"""The decision prompt names its symbols on one line starting with this."""
_DECISION = re.compile(
    r"^\s*DECISION:\s*([A-Za-z0-9.\-^/]+)\s+(buy|sell|close|hold)\b\s*[-:\u2013\u2014]?\s*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)


@cache
def load_template(name: str) -> Template:
    """The template ``templates/<name>.md``; ConfigError when missing."""
    path = TEMPLATES / f"{name}.md"
    try:
        return Template(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"prompt template {name!r} missing: {path}") from e


def render(name: str, **values: object) -> str:
    """Render a template; a placeholder without a value is a bug (ConfigError)."""
    try:
        return load_template(name).substitute(values).strip() + "\n"
    except KeyError as e:
        raise ConfigError(f"prompt template {name!r} needs a value for {e}") from e


def format_time(when: datetime) -> str:
    return when.strftime("%A %Y-%m-%d %H:%M UTC")


def format_limits(limits: RiskLimits) -> str:
    """The limits a model should know about, on one line."""

    def p(x: Decimal) -> str:
        return f"{(x * 100).normalize():f}%"

    parts = [
        f"max position {p(limits.max_position_pct)} of equity",
        f"max {limits.max_open_positions} open positions",
        f"gross exposure <= {limits.max_leverage}x equity",
        f"default stop-loss {p(limits.default_stop_loss_pct)}, "
        f"take-profit {p(limits.default_take_profit_pct)}",
        f"exits only below -{p(limits.reducing_daily_loss_pct)} a day "
        f"or -{p(limits.reducing_drawdown_pct)} drawdown",
        f"halt at -{p(limits.daily_loss_halt_pct)} a day "
        f"or -{p(limits.drawdown_kill_pct)} drawdown",
    ]
    return "; ".join(parts)


def _memory_line(hit: Recalled) -> str:
    entry = hit.entry
    text = " ".join(entry.text.split())
    if entry.kind == "decision" and entry.outcome is not None:
        text += f" Outcome: {100 * entry.outcome.realised_return:+.1f}%."
    head = f"- {entry.created_at:%Y-%m-%d} {entry.kind.value}: "
    room = MEMORY_LINE_CHARS - len(head)
    return head + (text if len(text) <= room else text[: room - 1].rstrip() + "…")


def memory_section(hits: Sequence[Recalled], title: str, budget_tokens: int) -> str:
    """A titled list of memories, best first, as many as fit in `budget_tokens` (measured
    with `tradepit.tools.registry.text_tokens`, the tokenizer of the prompt budgets), with
    its leading blank line; "" when there are none. Measuring needs litellm's tokenizer,
    which is loaded (once per process) only when there are memories to show."""
    if not hits:
        return ""
    from tradepit.tools.registry import text_tokens

    section = ""
    for hit in hits:
        longer = (section or f"\n\n{title}:") + "\n" + _memory_line(hit)
        if text_tokens(longer) > budget_tokens:
            break
        section = longer
    return section


def system_prompt(
    deps: AgentDeps,
    mode: Mode | None = None,
    state: str | None = None,
    memories: Sequence[Recalled] = (),
) -> str:
    """The system prompt of `mode` (default: deps.mode) at the clock's time, with the trading
    state (the account's under the limits, or the stricter manual state) unless given. In
    chat, `memories` (best first) are shown within `CHAT_MEMORY_TOKENS`."""
    mode = mode or deps.mode
    values = {
        "time": format_time(deps.clock.now()),
        "limits": format_limits(deps.limits),
        "state": state or trading_state(deps, deps.broker.get_account())[0].value,
    }
    if mode == "chat":
        memory = memory_section(
            memories, "From your memory of this user (notes, lessons; may be dated)",
            CHAT_MEMORY_TOKENS,
        )  # fmt: skip
        return render(
            "system_chat", approval=f"{deps.approval_notional:,.0f}", memory=memory, **values
        )
    symbols = ", ".join(deps.symbols) or "any known symbol"
    return render("system_cycle", mode=mode, symbols=symbols, **values)


def _direction(view: SymbolView) -> str:
    if view.supertrend_dir is None or view.supertrend is None:
        return "n/a"
    return f"{'up' if view.supertrend_dir > 0 else 'down'} @ {view.supertrend:g}"


def _fmt(value: float | None, spec: str = "g") -> str:
    return "n/a" if value is None else format(value, spec)


def format_symbol(view: SymbolView) -> str:
    change = "" if view.change_pct is None else f" ({view.change_pct:+.2f}%)"
    return (
        f"- {view.symbol} {iso(view.bar_time)}: close {num(view.close):g}{change}"
        f" | RSI14 {_fmt(view.rsi14, '.1f')} | MACD hist {_fmt(num(view.macd_hist, 3))}"
        f" | Supertrend {_direction(view)} | ATR14 {_fmt(num(view.atr14, 4))}"
        f" | SMA50 {_fmt(num(view.sma50, 6))} | SMA200 {_fmt(num(view.sma200, 6))}"
    )


def format_account(snapshot: MarketSnapshot) -> str:
    a = snapshot.account
    if a is None:
        return "n/a"
    day = "n/a" if a.day_pnl_pct is None else f"{a.day_pnl_pct:+.2f}%"
    dd = "n/a" if a.drawdown_pct is None else f"{a.drawdown_pct:.2f}%"
    return (
        f"equity {a.equity:,.2f}, cash {a.cash:,.2f}, buying power {a.buying_power:,.2f}, "
        f"day {day}, drawdown {dd}, state {a.state}"
    )


def format_positions(snapshot: MarketSnapshot) -> str:
    if not snapshot.positions:
        return "none"
    return "; ".join(
        f"{p.symbol} {num(p.qty):g} @ {num(p.avg_entry_price):g} "
        f"(now {num(p.market_price):g}, P&L {num(p.unrealized_pnl, 8):,.2f})"
        for p in snapshot.positions
    )


def decision_prompt(
    snapshot: MarketSnapshot,
    symbols: Sequence[str] | None = None,
    memories: Sequence[Recalled] = (),
) -> str:
    """The per-tick decision prompt for `symbols` (default: all in the snapshot), with the
    recalled `memories` (best first) within `DECISION_MEMORY_TOKENS`."""
    views = [snapshot.view(s) for s in symbols] if symbols else list(snapshot.symbols)
    timeframe = views[0].timeframe if views else "1Day"
    return render(
        "decision",
        time=format_time(snapshot.time),
        symbols=", ".join(v.symbol for v in views),
        timeframe=timeframe,
        market="\n".join(format_symbol(v) for v in views),
        account=format_account(snapshot),
        positions=format_positions(snapshot),
        memory=memory_section(
            memories, "From your memory (lessons with outcomes, notes)", DECISION_MEMORY_TOKENS
        ),
    )


def decision_symbols(text: str) -> tuple[str, ...] | None:
    """The symbols named by a decision prompt, or None when `text` is not one."""
    for line in text.splitlines():
        if line.startswith(SYMBOLS_PREFIX):
            names = line[len(SYMBOLS_PREFIX) :].split(",")
            return tuple(n.strip().upper() for n in names if n.strip())
    return None


class DecisionLine(NamedTuple):
    symbol: str
    action: str
    rationale: str


def parse_decisions(text: str) -> list[DecisionLine]:
    """The ``DECISION: <SYMBOL> <action> - <rationale>`` lines of a final answer."""
    return [
        DecisionLine(m.group(1).upper(), m.group(2).lower(), m.group(3).strip())
        for m in _DECISION.finditer(text or "")
    ]
