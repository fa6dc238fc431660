"""The chat intent parser's vocabulary: the `Intent` it returns, numbers as written,
common words that are never tickers, and `find_symbol`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal[
    "help", "unknown", "quote", "indicators", "account", "positions", "orders", "portfolio",
    "backtest", "order", "order_qty", "cancel", "cancel_all", "close", "close_all", "explain",
    "strategy", "signal", "orders_several", "order_part", "refused",
]  # fmt: skip
"""`orders_several`: args {"orders": [place_order args, ...]}; `order_part`: a fraction of a
position, args {symbol, side, fraction}; `refused`: args {"message": why nothing is done}."""


@dataclass(frozen=True)
class Intent:
    kind: Kind
    args: dict[str, Any] = field(default_factory=dict)
    """Tool arguments (for order intents: the place_order arguments)."""
    day: str | None = None
    """A date the message names that the answer cannot honour (chat reads the latest bar):
    the answer says so instead of dropping it silently."""


NUMBER = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
"""A number as written: 10, 2.5, 1,000,000 (thousands separators)."""
STOPWORDS = frozenset({
    "a", "all", "an", "and", "at", "be", "buy", "can", "cancel", "close", "did", "do", "does",
    "everything", "exit", "flatten", "for", "from", "how", "i", "in", "is", "it", "its", "last",
    "limit", "market", "me", "my", "now", "of", "on", "or", "order", "orders", "position",
    "positions", "price", "quote", "sell", "share", "shares", "short", "show", "since", "stop",
    "take", "target", "the", "to", "today", "until", "what", "whats", "why", "with", "you",
    "your",
})  # fmt: skip
NOT_SYMBOLS = frozenset(
    {"RSI", "MACD", "ATR", "SMA", "EMA", "ADX", "OBV", "VWAP", "KAMA", "BB", "USD", "PNL", "P&L",
     "I", "A", "OK", "TP", "SL", "ID", "AND", "OR", "THE", "OF", "ON", "IN", "AT", "TO", "ALL"}
)  # fmt: skip
INDICATOR_WORDS = {
    "rsi": "rsi", "macd": "macd", "atr": "atr", "sma": "sma", "ema": "ema", "adx": "adx",
    "obv": "obv", "vwap": "vwap", "kama": "kama", "supertrend": "supertrend", "stoch": "stoch",
    "stochastic": "stoch", "bollinger": "bbands", "bbands": "bbands", "divergence":
    "rsi_divergence", "moving average": "sma", "average true range": "atr",
}  # fmt: skip


def find_symbol(text: str) -> str | None:
    """The ticker in `text`: an upper-case word that is not an indicator or a common word,
    else the word after "of/for/on/in" or "<qty> [shares of]". In a message written all in
    capitals the case says nothing: common words ("CLOSE ALL") are not taken for tickers."""
    shouting = text.upper() == text
    for word in re.findall(r"[A-Za-z][A-Za-z0-9.^-]{0,9}", text):
        if word.isupper() and word not in NOT_SYMBOLS and len(word) > 1:
            if shouting and (word.lower() in STOPWORDS or word.lower() in INDICATOR_WORDS):
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
                word not in STOPWORDS
                and word.upper() not in NOT_SYMBOLS
                and word not in INDICATOR_WORDS
            ):
                return word.upper()
    return None


def to_number(text: str) -> float:
    return float(text.replace(",", ""))
