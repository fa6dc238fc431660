"""get_quote: the latest price of a symbol."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import Field

from tradepit.tools._common import iso, num, pct, resolve_symbol
from tradepit.tools.base import Tool, ToolInput, ToolOutput

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps

DAY = pd.Timedelta(days=1)
LOOKBACK = timedelta(days=10)
"""How far back the previous daily close is looked for (weekends and holidays)."""


class GetQuoteInput(ToolInput):
    symbol: str = Field(description="e.g. SPX")


class GetQuoteOutput(ToolOutput):
    symbol: str
    price: float
    bid: float
    ask: float
    change_pct: float | None = Field(None, description="vs the previous daily close")
    as_of: str


def get_quote(deps: AgentDeps, args: GetQuoteInput) -> GetQuoteOutput:
    """Latest price of a symbol, with the change vs the previous daily close."""
    symbol = resolve_symbol(deps, args.symbol)
    quote = deps.market.latest_quote(symbol)
    # the days before the quote's own (a symbol's data may end long before the clock)
    daily = deps.market.get_bars(
        symbol, "1Day", start=quote.timestamp - LOOKBACK, end=quote.timestamp
    )
    before = daily[daily.index + DAY < pd.Timestamp(quote.timestamp)]["close"]
    change = float(quote.last) / before.iloc[-1] - 1 if len(before) else None
    return GetQuoteOutput(
        symbol=symbol,
        price=num(quote.last),
        bid=num(quote.bid),
        ask=num(quote.ask),
        change_pct=pct(change),
        as_of=iso(quote.timestamp),
    )


TOOL = Tool("get_quote", GetQuoteInput, GetQuoteOutput, get_quote)
