"""A deterministic intent parser for the offline chat model (`rules:<strategy>`).

`parse_intent(text)` turns a request such as "buy 10 MSFT with a 2% stop" into an `Intent`:
a kind and the tool arguments it implies. It knows nothing about which symbols exist: an
invented symbol goes to the tools, which answer with a typed error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from tradepit.indicators import INDICATORS
from tradepit.strategies import STRATEGIES

Kind = Literal[
    "help", "unknown", "quote", "indicators", "account", "positions", "orders", "portfolio",
    "backtest", "order", "order_qty", "cancel", "cancel_all", "close", "close_all", "explain",
    "strategy", "signal",
]  # fmt: skip

CAPABILITIES = (
    "quotes: 'price of MSFT'",
    "indicators: 'what is the RSI of SPX', 'SMA 50 and MACD of MSFT'",
    "portfolio: 'how is my portfolio doing', 'positions', 'open orders'",
    "backtests: 'backtest supertrend on SPX since 2010'",
    "orders: 'buy 10 MSFT with a 2% stop', 'sell 5 SPX at limit 2550 take profit 2300'",
    "'cancel <order id>', 'close MSFT', 'close all'",
    "strategy signals and settings: 'signal for SPX', 'supertrend settings'",
    "'explain the last decision'",
)


@dataclass(frozen=True)
class Intent:
    kind: Kind
    args: dict[str, Any] = field(default_factory=dict)
    """Tool arguments (for order intents: the place_order arguments)."""


_NUMBER = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
"""A number as written: 10, 2.5, 1,000,000 (thousands separators)."""
_STOPWORDS = frozenset({
    "a", "all", "an", "and", "at", "be", "buy", "can", "cancel", "close", "did", "do", "does",
    "everything", "exit", "flatten", "for", "from", "how", "i", "in", "is", "it", "its", "last",
    "limit", "market", "me", "my", "now", "of", "on", "or", "order", "orders", "position",
    "positions", "price", "quote", "sell", "share", "shares", "short", "show", "since", "stop",
    "take", "target", "the", "to", "today", "until", "what", "whats", "why", "with", "you",
    "your",
})  # fmt: skip
_NOT_SYMBOLS = frozenset(
    {"RSI", "MACD", "ATR", "SMA", "EMA", "ADX", "OBV", "VWAP", "KAMA", "BB", "USD", "PNL", "P&L",
     "I", "A", "OK", "TP", "SL", "ID", "AND", "OR", "THE", "OF", "ON", "IN", "AT", "TO", "ALL"}
)  # fmt: skip
_INDICATOR_WORDS = {
    "rsi": "rsi", "macd": "macd", "atr": "atr", "sma": "sma", "ema": "ema", "adx": "adx",
    "obv": "obv", "vwap": "vwap", "kama": "kama", "supertrend": "supertrend", "stoch": "stoch",
    "stochastic": "stoch", "bollinger": "bbands", "bbands": "bbands", "divergence":
    "rsi_divergence", "moving average": "sma", "average true range": "atr",
}  # fmt: skip
_STRATEGY_ALIASES = {
    **{name.replace("_", " "): name for name in STRATEGIES},
    **{name: name for name in STRATEGIES},
    "buy and hold": "buy_and_hold", "buy & hold": "buy_and_hold", "sma crossover": "sma_cross",
    "macd crossover": "macd_cross", "macd and rsi": "macd_rsi", "ema and rsi": "ema_rsi",
}  # fmt: skip


def _has(text: str, *patterns: str) -> bool:
    return any(re.search(p, text) for p in patterns)


def find_symbol(text: str) -> str | None:
    """The ticker in `text`: an upper-case word that is not an indicator or a common word,
    else the word after "of/for/on/in" or "<qty> [shares of]". In a message written all in
    capitals the case says nothing: common words ("CLOSE ALL") are not taken for tickers."""
    shouting = text.upper() == text
    for word in re.findall(r"[A-Za-z][A-Za-z0-9.^-]{0,9}", text):
        if word.isupper() and word not in _NOT_SYMBOLS and len(word) > 1:
            if shouting and (word.lower() in _STOPWORDS or word.lower() in _INDICATOR_WORDS):
                continue
            return word
    lowered = text.lower()
    for pattern in (
        r"\b(?:of|for|on|in)\s+([a-z][a-z0-9.^-]{0,9})\b",
        r"\b(?:buy|sell|short)\s+\$?[\d.,]+\s+(?:shares?\s+of\s+|dollars?\s+of\s+)?([a-z][a-z0-9.^-]{0,9})\b",
        r"\b(?:close|flatten|exit)\s+(?:my\s+)?(?:position\s+in\s+)?([a-z][a-z0-9.^-]{0,9})\b",
    ):
        for m in re.finditer(pattern, lowered):
            word = m.group(1)
            if (
                word not in _STOPWORDS
                and word.upper() not in _NOT_SYMBOLS
                and word not in _INDICATOR_WORDS
            ):
                return word.upper()
    return None


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _indicator_specs(lowered: str) -> list[str]:
    """Indicator specs in order of mention: "sma 50", "50-day sma", "rsi(7)" keep a length."""
    found: list[tuple[int, str]] = []
    for word, name in _INDICATOR_WORDS.items():
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
        if m := re.search(rf"\b{words}\s*(?:=|:|of|at|to)?\s*{_NUMBER}", lowered):
            out[name] = _num(m.group(1))
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


def _order(text: str, lowered: str) -> Intent | None:
    m = re.match(
        rf"\s*(?:please\s+)?(buy|sell|short)\s+(\$)?{_NUMBER}\s*(dollars?|usd)?\b", lowered
    )
    if not m:
        return None
    side = "buy" if m.group(1) == "buy" else "sell"
    amount = _num(m.group(3))
    symbol = _order_symbol(text, m.end())
    if amount <= 0:
        return Intent("order_qty", {"side": side, "symbol": symbol})
    args: dict[str, Any] = {"symbol": symbol, "side": side}
    args["notional" if m.group(2) or m.group(4) else "qty"] = amount
    rest = lowered[m.end() :]
    if sl := _STOP_LIMIT.search(rest):  # an entry: "stop limit 95 96" = trigger 95, limit 96
        stop = _num(sl.group(1))
        limit = _num(sl.group(2)) if sl.group(2) else stop
        args.update(type="stop_limit", stop_price=stop, limit_price=limit)
        rest = rest[: sl.start()] + " " + rest[sl.end() :]
    for name, words in (("stop_loss", _STOP_WORDS), ("take_profit", _TARGET_WORDS)):
        found, rest = _exit(name, words, rest)
        args.update(found)
    if "type" not in args and (
        lim := re.search(
            rf"(?:\b(?:at\s+)?(?:limit(?:\s+price)?\s+(?:of\s+|at\s+)?|at\s+)|@\s*)\$?{_NUMBER}",
            rest,
        )
    ):
        args.update(type="limit", limit_price=_num(lim.group(1)))
    return Intent("order", args)


def _order_symbol(text: str, at: int) -> str:
    """The word after the quantity ("buy 10 [shares of] msft"), else any ticker."""
    m = re.match(
        r"\s*(?:shares?\s+of\s+|dollars?\s+(?:of|in)\s+|of\s+)?([A-Za-z][\w.^-]{0,9})", text[at:]
    )
    if m and m.group(1).lower() not in _STOPWORDS and m.group(1).upper() not in _NOT_SYMBOLS:
        return m.group(1).upper()
    return find_symbol(text[at:]) or ""


_NO_QUANTITY = re.compile(
    r"\s*(?:please\s+)?(buy|sell|short)\b(?!\s+(?:all|everything|and hold|& hold)\b)"
)
"""An order without a quantity above 0 ("buy MSFT", "buy -5 MSFT"): asked for, not guessed."""
_STOP_LIMIT = re.compile(
    rf"\bstop[- ]limit\s+(?:at\s+|@\s*)?\$?{_NUMBER}"
    rf"(?:\s*(?:/|,|and|limit)?\s*(?:at\s+|@\s*)?\$?{_NUMBER})?"
)
_STOP_WORDS = r"stop(?:[- ]loss)?|sl"
_TARGET_WORDS = r"take[- ]profit|profit target|target|tp"


def _exit(name: str, words: str, text: str) -> tuple[dict[str, float], str]:
    """ "2% stop", "stop 2%", "stop at 40", "stop loss of 40" -> {stop_loss[_pct]: value},
    and `text` without that phrase (so "stop at 40" is not read as a limit price)."""
    if m := re.search(rf"{_NUMBER}\s*%\s*(?:{words})\b", text):
        found = {f"{name}_pct": _num(m.group(1))}
    elif m := re.search(rf"\b(?:{words})\b(?:\s+(?:at|of|@))?\s+\$?{_NUMBER}\s*(%)?", text):
        found = {f"{name}_pct" if m.group(2) else name: _num(m.group(1))}
    else:
        return {}, text
    return found, text[: m.start()] + " " + text[m.end() :]


def parse_intent(text: str) -> Intent:
    """The intent of one chat message (see `CAPABILITIES`)."""
    lowered = " ".join(text.lower().split())
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
    if order := _order(text, lowered):
        return order
    if m := _NO_QUANTITY.match(lowered):
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
