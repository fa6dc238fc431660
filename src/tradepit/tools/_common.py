"""Helpers shared by the tools: symbols, rounding, recent bars, the risk gate's inputs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradepit.domain.errors import UnknownSymbolError
from tradepit.domain.models import Account, Order, Position, TradingState
from tradepit.market.arrays import float_columns
from tradepit.market.timeframe import canonical_timeframe, parse_timeframe
from tradepit.risk import DailyReturns, MarketContext, assess_state, stricter
from tradepit.tools.errors import SymbolNotTradedError, ToolArgumentError

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps

ZERO = Decimal(0)
_DAY = timedelta(days=1)
RETURNS_WINDOW = 260
"""Daily returns handed to the gate (correlation and VaR windows are at most 250)."""
RETURNS_REACH = timedelta(days=2 * 365)
"""How far before now the gate's return histories may end: a symbol whose data stop
earlier (a stale series) is paired with the others on the days it has, up to this old."""


def resolve_symbol(deps: AgentDeps, symbol: str, *, trading: bool = False) -> str:
    """The canonical symbol; UnknownSymbolError for symbols the feed does not know and,
    for order tools, SymbolNotTradedError outside the run's symbols."""
    wanted = symbol.strip().upper()
    if not is_known(deps, wanted):
        raise UnknownSymbolError(symbol, _known_list(deps))
    if trading and deps.symbols and wanted not in deps.symbols:
        raise SymbolNotTradedError(wanted, deps.symbols)
    return wanted


def is_known(deps: AgentDeps, symbol: str) -> bool:
    """Whether the market knows `symbol` (asks for its asset: a live source has thousands
    of symbols and does not list them all)."""
    try:
        deps.market.get_asset(symbol)
    except UnknownSymbolError:
        return False
    return True


def _known_list(deps: AgentDeps) -> list[str]:
    """Symbols to suggest: the market's own list when it is short (bundled data)."""
    from tradepit.market import PointInTimeFeed

    return deps.market.symbols() if isinstance(deps.market, PointInTimeFeed) else []


def num(value: float | Decimal | None, digits: int = 6) -> float | None:
    """A compact float: `digits` significant digits, None for missing or NaN."""
    if value is None:
        return None
    x = float(value)
    if not np.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def pct(value: float | Decimal | None) -> float | None:
    """A fraction as a percentage with two decimals (0.0123 -> 1.23)."""
    if value is None:
        return None
    x = float(value)
    return round(100.0 * x, 2) if np.isfinite(x) else None


def iso(when: datetime | pd.Timestamp) -> str:
    """Compact ISO time: the date alone at midnight UTC, else minutes."""
    stamp = pd.Timestamp(when)
    if stamp.hour == stamp.minute == stamp.second == 0:
        return stamp.date().isoformat()
    return stamp.strftime("%Y-%m-%dT%H:%MZ")


def timeframe_of(text: str) -> tuple[str, pd.Timedelta]:
    """Canonical timeframe and its duration; ToolArgumentError when malformed."""
    try:
        return canonical_timeframe(text), parse_timeframe(text)
    except ValueError as e:
        raise ToolArgumentError(str(e)) from e


def recent_bars(deps: AgentDeps, symbol: str, timeframe: str, count: int) -> pd.DataFrame:
    """Up to `count` completed bars ending at clock.now() (point-in-time through the feed)."""
    name, duration = timeframe_of(timeframe)
    step = duration.to_pytimedelta()  # datetime arithmetic: ~10x cheaper than pandas'
    span = step * count * (1.6 if step >= _DAY else 5.0)
    try:
        frame = deps.market.get_bars(symbol, name, start=deps.clock.now() - span)
    except ValueError as e:  # e.g. a timeframe finer than the data
        raise ToolArgumentError(str(e)) from e
    return frame.iloc[-count:]


def daily_returns(deps: AgentDeps, symbol: str, start: datetime) -> DailyReturns:
    """Simple daily returns of the completed daily closes from `start` on, each stamped
    with its day (the gate pairs symbols by date)."""
    try:
        frame = deps.market.get_bars(symbol, "1Day", start=start)
    except ValueError as e:  # e.g. a timeframe finer than the data
        raise ToolArgumentError(str(e)) from e
    (closes,) = float_columns(frame, ("close",))  # a view: ~10x cheaper than frame["close"]
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(index)
    days = index.asi8.view(f"datetime64[{index.unit}]").astype("datetime64[D]")  # UTC days
    if len(closes) < 2:
        return DailyReturns(days=days[:0], values=closes[:0])
    return DailyReturns(days=days[1:], values=np.diff(closes) / closes[:-1])


def last_price(deps: AgentDeps, symbol: str) -> Decimal:
    return deps.market.latest_quote(symbol).last


STALE_AFTER = timedelta(days=5)
"""A price older than this is stale: longer than any market closure (weekend + holiday)."""


def stale_price(deps: AgentDeps, symbol: str) -> str | None:
    """A note when `symbol`'s last price is stale at the clock's now (its data ends before
    it, e.g. a bundled series that stops earlier than the others), else None."""
    stamp = deps.market.latest_quote(symbol).timestamp
    age = deps.clock.now() - stamp
    if age <= STALE_AFTER:
        return None
    return f"the last {symbol} price is from {stamp:%Y-%m-%d}, {age.days} days before now"


def trading_state(deps: AgentDeps, account: Account) -> tuple[TradingState, tuple[str, ...]]:
    """The stricter of the account's state under the limits and the manual state (kill
    switch), with the reasons' codes."""
    manual = deps.manual_state
    assessed = assess_state(account, deps.limits, manual_halt=manual is TradingState.HALTED)
    state = assessed.state if manual is None else stricter(manual, assessed.state)
    return state, tuple(r.code for r in assessed.reasons)


def pending_delta(order: Order) -> Decimal:
    """Signed quantity an open order will still add (bracket legs are contingent: 0)."""
    if order.parent_id is not None or not order.status.is_open or order.qty is None:
        return ZERO
    return order.side.sign * order.remaining_qty


def effective_positions(deps: AgentDeps) -> list[Position]:
    """Positions netted with open orders, so the gate sees pending exposure too."""
    return net_positions(deps, deps.broker.get_positions(), deps.broker.list_orders("open"))


def net_positions(
    deps: AgentDeps, positions: Iterable[Position], open_orders: Iterable[Order]
) -> list[Position]:
    """`positions` netted with `open_orders` (see `effective_positions`)."""
    held = {p.symbol: p for p in positions}
    delta: dict[str, Decimal] = {}
    for order in open_orders:
        delta[order.symbol] = delta.get(order.symbol, ZERO) + pending_delta(order)
    out = []
    for symbol in sorted(set(held) | set(delta)):
        qty = (held[symbol].qty if symbol in held else ZERO) + delta.get(symbol, ZERO)
        if qty == 0:
            continue
        if symbol in held:
            out.append(held[symbol].model_copy(update={"qty": qty}))
        else:
            price = last_price(deps, symbol)
            out.append(Position(symbol=symbol, qty=qty, avg_entry_price=price, market_price=price))
    return out


def market_context(deps: AgentDeps, symbols: Iterable[str]) -> MarketContext:
    """Last prices, dated daily returns and assets of `symbols`, as the gate wants them.
    Every history reaches `RETURNS_WINDOW` trading days before the earliest last bar among
    them (not before `RETURNS_REACH`), so a symbol whose data end early still has days in
    common with the others."""
    wanted = sorted(set(symbols))
    quotes = {s: deps.market.latest_quote(s) for s in wanted}
    now = deps.clock.now()
    earliest = min((q.timestamp for q in quotes.values()), default=now)
    start = max(min(earliest, now), now - RETURNS_REACH) - _DAY * (RETURNS_WINDOW + 1) * 1.6
    return MarketContext(
        prices={s: q.last for s, q in quotes.items()},
        returns={s: daily_returns(deps, s, start) for s in wanted},
        assets={s: deps.market.get_asset(s) for s in wanted},
    )
