"""Recognising chart requests in chat messages ("show SPX with Supertrend for 2015",
"plot MSFT with SMA 50 and RSI from 2012 to 2014", "show the last battle").

A price chart needs a chart verb and a symbol the feed knows; backtests, the portfolio and
battles are not price charts (backtests go to the agent, which runs the backtest tool; the
UI then draws its equity curve). Indicator and period phrases are read with the offline
model's own parser, so both understand the same words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tradepit.agent.backends.intents import _indicator_specs, _period

_VERBS = re.compile(r"\b(show|chart|plot|draw|graph|display|visuali[sz]e)\b")
_NOT_PRICE = re.compile(
    r"\b(backtest|back-test|portfolio|positions?|orders?|account|battles?|leaderboard|"
    r"signal|settings|decision)\b"
)
_BATTLE = re.compile(r"\b(battles?|leaderboard)\b")
_YEAR_FOR = re.compile(r"\b(?:for|over)\s+(\d{4})\b")


@dataclass(frozen=True)
class ChartRequest:
    symbol: str
    indicators: tuple[str, ...] = ()
    """Indicator specs as the indicator tool reads them ("supertrend", "sma:50")."""
    start: date | None = None
    end: date | None = None


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def find_known_symbol(text: str, symbols: Iterable[str]) -> str | None:
    """The first word of `text` that is one of `symbols` (any case)."""
    known = {s.upper() for s in symbols}
    for word in re.findall(r"[A-Za-z^][A-Za-z0-9.^-]*", text):
        if word.upper() in known:
            return word.upper()
    return None


def parse_chart_request(text: str, symbols: Iterable[str]) -> ChartRequest | None:
    """A price chart request, or None when `text` is something else."""
    lowered = _normalise(text)
    if not _VERBS.search(lowered) or _NOT_PRICE.search(lowered):
        return None
    symbol = find_known_symbol(text, symbols)
    if symbol is None:
        return None
    period = _period(_YEAR_FOR.sub(r"in \1", lowered))
    start, end = period.get("start"), period.get("end")
    return ChartRequest(
        symbol=symbol,
        indicators=tuple(_indicator_specs(lowered)),
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else None,
    )


def is_battle_request(text: str) -> bool:
    """ "show the last battle", "battle leaderboard", "how did the battle go"."""
    return bool(_BATTLE.search(_normalise(text)))
