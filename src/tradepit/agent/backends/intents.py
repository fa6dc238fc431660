"""A deterministic intent parser for the offline chat model (`rules:<strategy>`).

`parse_intent(text)` turns a request such as "buy 10 MSFT with a 2% stop" into an `Intent`:
a kind and the tool arguments it implies. It knows nothing about which symbols exist: an
invented symbol goes to the tools, which answer with a typed error.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from tradepit.agent.backends.intent_words import (
    INDICATOR_WORDS,
    NUMBER,
    Intent,
    find_symbol,
    to_number,
)
from tradepit.agent.backends.intents_orders import NO_QUANTITY, order_intent
from tradepit.indicators import INDICATORS
from tradepit.strategies import STRATEGIES

__all__ = ["CAPABILITIES", "Intent", "find_symbol", "parse_intent"]

CAPABILITIES = (
    "quotes: 'price of MSFT'",
    "indicators: 'what is the RSI of SPX', 'SMA 50 and MACD of MSFT'",
    "portfolio: 'how is my portfolio doing', 'positions', 'open orders'",
    "backtests: 'backtest supertrend on SPX since 2010'",
    "orders: 'buy 10 MSFT with a 2% stop', 'sell 5 SPX at limit 2550 take profit 2300', "
    "'sell short 3 IXIC', 'buy 3 MSFT and 1 SPX', 'sell half my MSFT'",
    "'cancel <order id>', 'close MSFT', 'close all'",
    "strategy signals and settings: 'signal for SPX', 'supertrend settings'",
    "'explain the last decision'",
)


_STRATEGY_ALIASES = {
    **{name.replace("_", " "): name for name in STRATEGIES},
    **{name: name for name in STRATEGIES},
    "buy and hold": "buy_and_hold", "buy & hold": "buy_and_hold", "sma crossover": "sma_cross",
    "macd crossover": "macd_cross", "macd and rsi": "macd_rsi", "ema and rsi": "ema_rsi",
}  # fmt: skip


def _has(text: str, *patterns: str) -> bool:
    return any(re.search(p, text) for p in patterns)


def _indicator_specs(lowered: str) -> list[str]:
    """Indicator specs in order of mention: "sma 50", "50-day sma", "rsi(7)" keep a length."""
    found: list[tuple[int, str]] = []
    for word, name in INDICATOR_WORDS.items():
        for m in re.finditer(
            rf"(?:(\d+)[- ]?(?:day|period|bar)?\s*)?\b{word}\b(?:\s*\(?\s*(\d+)\)?)?", lowered
        ):
            length = m.group(1) or m.group(2)
            spec = f"{name}:{length}" if length and INDICATORS[name].params else name
            found.append((m.start(), spec))
    seen, specs = set(), []
    for _, spec in sorted(found):
        base = spec.split(":")[0]
        if base not in seen:
            seen.add(base)
            specs.append(spec)
    return specs


def _strategy(lowered: str) -> str | None:
    best = None
    for alias, name in _STRATEGY_ALIASES.items():
        m = re.search(rf"\b{re.escape(alias)}\b", lowered)
        if m and (best is None or len(alias) > best[0]):
            best = (len(alias), name)
    return best[1] if best else None


_BACKTEST_OF = re.compile(
    r"\bback-?test(?:ing)?\s+(?:the\s+|an?\s+|my\s+)?([a-z][\w&+-]*)(?:\s+strategy)?"
    r"\s+(?:on|for|with|over|against)\b"
)


def _backtest_strategy(lowered: str, symbol: str | None) -> str:
    """The strategy a backtest request names: a known one, else the word in "backtest <x>
    on ..." as written (the tool answers that it does not know it: never a silent switch
    to another strategy), else the default, supertrend."""
    known = _strategy(lowered)
    if known:
        return known
    m = _BACKTEST_OF.search(lowered)
    if m and m.group(1) != (symbol or "").lower():
        return m.group(1)
    return "supertrend"


def _backtest_params(lowered: str, strategy: str) -> dict[str, float]:
    """Numeric parameters of `strategy` the request sets: "fast 20", "slow=50", "rsi length
    of 10" (never dropped silently: the backtest runs with them and says so)."""
    known = STRATEGIES.get(strategy)
    out: dict[str, float] = {}
    for name in known.Params.model_fields if known else ():
        words = name.replace("_", r"[ _]")
        if m := re.search(rf"\b{words}\s*(?:=|:|of|at|to)?\s*{NUMBER}", lowered):
            out[name] = to_number(m.group(1))
    return out


def _period(lowered: str) -> dict[str, str]:
    """start/end from "since 2010", "from 2010 to 2015", "in 2012", "2012-03-01".."""
    day = r"(\d{4}(?:-\d{2}-\d{2})?)"
    out: dict[str, str] = {}
    m = re.search(rf"\bfrom\s+{day}\s*(?:\s(?:to|until)\s|-)\s*{day}", lowered)
    if m:
        out["start"], out["end"] = _start(m.group(1)), _end(m.group(2))
    elif m := re.search(rf"\b(?:since|from|after)\s+{day}", lowered):
        out["start"] = _start(m.group(1))
    elif m := re.search(r"\b(?:in|during)\s+(\d{4})\b", lowered):
        out["start"], out["end"] = _start(m.group(1)), _end(m.group(1))
    if m := re.search(rf"\b(?:until|to|through)\s+{day}", lowered):
        out.setdefault("end", _end(m.group(1)))
    return out


def _start(text: str) -> str:
    return text if len(text) > 4 else date(int(text), 1, 1).isoformat()


def _end(text: str) -> str:
    return text if len(text) > 4 else date(int(text), 12, 31).isoformat()


_DAY = re.compile(r"\b(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4})\b")
"""A date as written: 2015-06-30, 6/30/2015."""
_NOW_ONLY = frozenset({
    "quote", "indicators", "signal", "strategy", "account", "positions", "orders", "portfolio",
})  # fmt: skip
"""Kinds whose tools answer for now only (the latest completed bar)."""


def parse_intent(text: str) -> Intent:
    """The intent of one chat message (see `CAPABILITIES`). A date in a message about now
    (a quote, indicators, the account) is kept in `Intent.day`, so the answer can say that
    it is for the latest bar; an order with a date is refused (orders are placed now)."""
    text = " ".join(text.split())
    lowered = text.lower()
    intent = _parse(text, lowered)
    day = _DAY.search(lowered)
    if day is None:
        return intent
    if intent.kind in ("order", "orders_several", "order_part", "close", "close_all"):
        return Intent("refused", {"message": _dated_order(day.group(1))})
    return replace(intent, day=day.group(1)) if intent.kind in _NOW_ONLY else intent


def _dated_order(day: str) -> str:
    return (
        f"Orders are placed now, at the latest price: a date ({day}) is not supported. "
        "Ask again without it, e.g. 'buy 10 MSFT' or 'buy 10 MSFT at limit 80'. Nothing was sent."
    )


def _parse(text: str, lowered: str) -> Intent:
    symbol = find_symbol(text)
    if not lowered or _has(lowered, r"^(help|\?|hi|hello)\b", r"what can you do", r"\bhow do i\b"):
        return Intent("help")
    if _has(lowered, r"\b(explain|why)\b", r"\blast decision\b"):
        return Intent("explain", {"symbol": symbol} if symbol else {})
    if _has(lowered, r"\bbacktest", r"\bback-test", r"\bhow would .* have (done|performed)"):
        args: dict[str, Any] = {
            "strategy": _backtest_strategy(lowered, symbol),
            "symbol": symbol or "",
        }
        params = _backtest_params(lowered, args["strategy"])
        return Intent("backtest", args | _period(lowered) | ({"params": params} if params else {}))
    if _has(lowered, r"\bcancel\b"):
        if _has(lowered, r"\bcancel all\b", r"\ball (open )?orders\b"):
            return Intent("cancel_all", {"symbol": symbol} if symbol else {})
        order_id = re.search(r"\b([\w.-]+-o\d+)\b", text)
        return Intent("cancel", {"order_id": order_id.group(1)} if order_id else {})
    if order := order_intent(text, lowered):
        return order
    if m := NO_QUANTITY.match(lowered):
        side = "buy" if m.group(1) == "buy" else "sell"  # no quantity above 0 was given
        return Intent("order_qty", {"side": side, "symbol": symbol or ""})
    if _has(lowered, r"^\s*(close|flatten|exit)\b", r"^\s*sell\s+(all|everything)\b"):
        if _has(lowered, r"\ball\b", r"\beverything\b") and not symbol:
            return Intent("close_all")
        return Intent("close", {"symbol": symbol or ""})
    if _has(lowered, r"\bsignal\b"):
        return Intent(
            "signal", {"symbol": symbol or "", "strategy": _strategy(lowered) or "supertrend"}
        )
    if _has(lowered, r"\b(settings|parameters|params|config)\b") and _strategy(lowered):
        return Intent(
            "strategy", {"strategy": _strategy(lowered)} | ({"symbol": symbol} if symbol else {})
        )
    if specs := _indicator_specs(lowered):
        return Intent("indicators", {"symbol": symbol or "", "indicators": specs})
    if _has(lowered, r"\b(price|quote|trading at|worth|how much is|cost)\b"):
        return Intent("quote", {"symbol": symbol or ""})
    if _has(lowered, r"\borders?\b"):
        return Intent("orders", {"status": "all" if "all" in lowered else "open"})
    if _has(lowered, r"\b(positions?|holdings?|holding)\b"):
        return Intent("positions")
    if _has(lowered, r"\b(portfolio|how am i doing|p&l|pnl|performance)\b"):
        return Intent("portfolio")
    if _has(lowered, r"\b(account|equity|cash|buying power|balance)\b"):
        return Intent("account")
    if symbol and len(lowered.split()) <= 3:
        return Intent("quote", {"symbol": symbol})
    return Intent("unknown")
