"""Order requests in chat: "buy 10 MSFT with a 2% stop", "sell short 3 IXIC", "buy 3 MSFT
and 1 SPX" (several orders), "sell half my MSFT" (a part of a position). What the product
cannot do (trailing stops) is refused with the reason, never replaced by something else."""

from __future__ import annotations

import re
from typing import Any

from tradepit.agent.backends.intent_words import (
    NOT_SYMBOLS,
    NUMBER,
    STOPWORDS,
    Intent,
    find_symbol,
    to_number,
)

_SIDE = r"(buy|sell(?:\s+short)?|short)"
"""An order's side as written; "sell short" and "short" open or add to a short."""
NO_QUANTITY = re.compile(rf"\s*(?:please\s+)?{_SIDE}\b(?!\s+(?:all|everything|and hold|& hold)\b)")
"""An order without a quantity above 0 ("buy MSFT", "buy -5 MSFT"): asked for, not guessed."""
_STOP_LIMIT = re.compile(
    rf"\bstop[- ]limit\s+(?:at\s+|@\s*)?\$?{NUMBER}"
    rf"(?:\s*(?:/|,|and|limit)?\s*(?:at\s+|@\s*)?\$?{NUMBER})?"
)
_STOP_WORDS = r"stop(?:[- ]loss)?|sl"
_TARGET_WORDS = r"take[- ]profit|profit target|target|tp"
_NEXT_ORDER = re.compile(
    rf"\s*(?:,|;|&|\band\b|\bthen\b)\s*(?:(?:and|then)\s+)?"
    rf"(?=(?:{_SIDE}\s+)?\$?{NUMBER}\s*(?:dollars?\s+|usd\s+)?(?:shares?\s+)?(?:of\s+)?[a-z])"
)
"""Where a second order starts: ", 1 SPX", " and sell 2 SPX", " and $500 of SPX"."""
_TRAILING = re.compile(r"\btrail(?:ing)?\b")
_FRACTIONS = {
    "half": 1 / 2, "a half": 1 / 2, "one half": 1 / 2, "a third": 1 / 3, "one third": 1 / 3,
    "two thirds": 2 / 3, "a quarter": 1 / 4, "one quarter": 1 / 4, "a fourth": 1 / 4,
    "three quarters": 3 / 4, "all": 1.0, "everything": 1.0,
}  # fmt: skip
_PART = re.compile(
    r"\s*(?:please\s+)?(sell|buy(?:\s+back)?|cover)\s+"
    rf"({'|'.join(sorted(_FRACTIONS, key=len, reverse=True))}|{NUMBER}\s*%)\s+"
    r"(?:of\s+)?(?:my\s+|the\s+)?(?:position\s+in\s+|shares\s+of\s+)?([A-Za-z][\w.^-]{0,9})"
)
"""A part of a position: "sell half my MSFT", "sell a third of my MSFT position",
"sell 25% of MSFT", "buy back half my IXIC" (a short)."""


def order_intent(text: str, lowered: str) -> Intent | None:
    """The order intent of a message that asks for one or more orders, else None.

    `lowered` is `text` in lower case with its whitespace collapsed; `text` must have the
    same collapsed whitespace (positions are shared)."""
    if not NO_QUANTITY.match(lowered) and not _PART.match(lowered):
        return None
    if _TRAILING.search(lowered):
        return _refuse_trailing(text)
    if part := _part_intent(text, lowered):
        return part
    starts = [0] + [m.end() for m in _NEXT_ORDER.finditer(lowered)]
    if len(starts) > 1:
        several = _several(text, lowered, starts)
        if several is not None:
            return several
    return _order(text, lowered)


def _several(text: str, lowered: str, starts: list[int]) -> Intent | None:
    """Each order of "buy 3 MSFT and 1 SPX" (a part without a side takes the previous
    one's); None unless every part is a complete order, so a phrase such as "stop 40 and
    50 target" is never read as a second order."""
    ends = [m.start() for m in _NEXT_ORDER.finditer(lowered)] + [len(lowered)]
    orders, side = [], ""
    for start, end in zip(starts, ends, strict=True):
        piece, low = text[start:end], lowered[start:end]
        if not NO_QUANTITY.match(low):
            piece, low = f"{side} {piece}", f"{side} {low}"
        order = _order(piece, low)
        if order is None or order.kind != "order" or not order.args["symbol"]:
            return None
        orders.append(order.args)
        side = NO_QUANTITY.match(low).group(1)  # type: ignore[union-attr]
    return Intent("orders_several", {"orders": orders})


def _part_intent(text: str, lowered: str) -> Intent | None:
    """ "sell half my MSFT": the quantity is worked out from the position (see `rules`);
    all of it is a close; None without a symbol for all of it ("sell all my positions"
    closes everything)."""
    m = _PART.match(lowered)
    if not m:
        return None
    symbol = text[m.start(4) : m.end(4)]
    if m.group(4) in STOPWORDS or symbol.upper() in NOT_SYMBOLS:
        symbol = find_symbol(text[m.end(2) :]) or ""
    symbol, side = symbol.upper(), _side(m.group(1))
    fraction = to_number(m.group(3)) / 100 if m.group(3) else _FRACTIONS[m.group(2)]
    if fraction >= 1:
        return Intent("close", {"symbol": symbol}) if symbol else None
    if fraction <= 0:
        return Intent("order_qty", {"side": side, "symbol": symbol})
    return Intent("order_part", {"symbol": symbol, "side": side, "fraction": fraction})


def _side(word: str) -> str:
    return "buy" if word.startswith(("buy", "cover")) else "sell"


def _refuse_trailing(text: str) -> Intent:
    stop = r"\btrail(?:ing)?(?:[- ]stop(?:[- ]loss)?)?\b"
    fixed = re.sub(stop, "stop", text, flags=re.IGNORECASE)
    return Intent(
        "refused",
        {
            "message": "Trailing stops are not supported; use a fixed stop, e.g. "
            f"'{fixed}' (a stop-loss at that distance from the fill price, which does not "
            "move). Nothing was sent."
        },
    )


def _order(text: str, lowered: str) -> Intent | None:
    m = re.match(rf"\s*(?:please\s+)?{_SIDE}\s+(\$)?{NUMBER}\s*(dollars?|usd)?\b", lowered)
    if not m:
        return None
    side = "buy" if m.group(1) == "buy" else "sell"
    amount = to_number(m.group(3))
    symbol = _order_symbol(text, m.end())
    if amount <= 0:
        return Intent("order_qty", {"side": side, "symbol": symbol})
    args: dict[str, Any] = {"symbol": symbol, "side": side}
    args["notional" if m.group(2) or m.group(4) else "qty"] = amount
    rest = lowered[m.end() :]
    if sl := _STOP_LIMIT.search(rest):  # an entry: "stop limit 95 96" = trigger 95, limit 96
        stop = to_number(sl.group(1))
        limit = to_number(sl.group(2)) if sl.group(2) else stop
        args.update(type="stop_limit", stop_price=stop, limit_price=limit)
        rest = rest[: sl.start()] + " " + rest[sl.end() :]
    for name, words in (("stop_loss", _STOP_WORDS), ("take_profit", _TARGET_WORDS)):
        found, rest = _exit(name, words, rest)
        args.update(found)
    if "type" not in args and (
        lim := re.search(
            rf"(?:\b(?:at\s+)?(?:limit(?:\s+price)?\s+(?:of\s+|at\s+)?|at\s+)|@\s*)\$?{NUMBER}",
            rest,
        )
    ):
        args.update(type="limit", limit_price=to_number(lim.group(1)))
    return Intent("order", args)


def _order_symbol(text: str, at: int) -> str:
    """The word after the quantity ("buy 10 [shares of] msft"), else any ticker."""
    m = re.match(
        r"\s*(?:shares?\s+of\s+|dollars?\s+(?:of|in)\s+|of\s+)?([A-Za-z][\w.^-]{0,9})", text[at:]
    )
    if m and m.group(1).lower() not in STOPWORDS and m.group(1).upper() not in NOT_SYMBOLS:
        return m.group(1).upper()
    return find_symbol(text[at:]) or ""


def _exit(name: str, words: str, text: str) -> tuple[dict[str, float], str]:
    """ "2% stop", "stop 2%", "stop at 40", "stop loss of 40" -> {stop_loss[_pct]: value},
    and `text` without that phrase (so "stop at 40" is not read as a limit price)."""
    if m := re.search(rf"{NUMBER}\s*%\s*(?:{words})\b", text):
        found = {f"{name}_pct": to_number(m.group(1))}
    elif m := re.search(rf"\b(?:{words})\b(?:\s+(?:at|of|@))?\s+\$?{NUMBER}\s*(%)?", text):
        found = {f"{name}_pct" if m.group(2) else name: to_number(m.group(1))}
    else:
        return {}, text
    return found, text[: m.start()] + " " + text[m.end() :]
