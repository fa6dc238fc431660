"""One frozen, point-in-time view of the market (and a portfolio) per tick.

Built once per tick: `build_snapshot(deps, symbols)`. A battle builds the market part once
(`build_snapshot(..., portfolio=False)`) and gives each competitor a copy with its own
account and positions (`snapshot.with_portfolio(competitor_deps)`); the market part is the
same object for all. Every bar in it is complete at `time` (the clock's now).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradepit import indicators
from tradepit.domain.errors import NoDataError
from tradepit.domain.models import Frozen, Position, TradingState, UtcDatetime, exact_decimal
from tradepit.market.arrays import float_columns
from tradepit.tools._common import num, pct, recent_bars, resolve_symbol, trading_state

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps

HISTORY_BARS = 400
"""Daily bars used for the indicators (SMA200 plus warm-up for the Wilder averages)."""


class SymbolView(Frozen):
    """The last completed bar of a symbol and a few indicators on it (None in warm-up)."""

    symbol: str
    bar_time: UtcDatetime
    """Open time of the last completed bar."""
    timeframe: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    change_pct: float | None = None
    rsi14: float | None = None
    macd_hist: float | None = None
    supertrend: float | None = None
    supertrend_dir: int | None = None
    atr14: float | None = None
    sma50: float | None = None
    sma200: float | None = None


class AccountView(Frozen):
    equity: Decimal
    cash: Decimal
    buying_power: Decimal
    day_pnl_pct: float | None
    drawdown_pct: float | None
    state: TradingState
    timestamp: UtcDatetime


class MarketSnapshot(Frozen):
    """What every decision of one tick sees. `account` is None in a market-only snapshot."""

    time: UtcDatetime
    symbols: tuple[SymbolView, ...]
    positions: tuple[Position, ...] = ()
    account: AccountView | None = None

    def view(self, symbol: str) -> SymbolView:
        for v in self.symbols:
            if v.symbol == symbol:
                return v
        raise KeyError(symbol)

    def position(self, symbol: str) -> Position | None:
        return next((p for p in self.positions if p.symbol == symbol), None)

    def with_portfolio(self, deps: AgentDeps) -> MarketSnapshot:
        """This market view with `deps`' account and positions (one per competitor)."""
        account, positions = _portfolio(deps)
        return self.model_copy(update={"account": account, "positions": positions})


def _last(values: np.ndarray) -> float | None:
    return num(values[-1]) if len(values) else None


def symbol_view(deps: AgentDeps, symbol: str, timeframe: str = "1Day") -> SymbolView:
    """The latest completed bar of `symbol` with RSI14, MACD histogram, Supertrend(10, 3),
    ATR14 and SMA50/200."""
    bars = recent_bars(deps, symbol, timeframe, HISTORY_BARS)
    if bars.empty:
        raise NoDataError(f"no completed {timeframe} bars of {symbol} at {deps.clock.now()}")
    o, h, low, c = float_columns(bars)
    line, direction = indicators.supertrend(h, low, c, 10, 3.0)
    stamp = pd.Timestamp(bars.index[-1]).to_pydatetime()
    st_dir = direction[-1]
    return SymbolView(
        symbol=symbol,
        bar_time=stamp,
        timeframe=timeframe,
        open=exact_decimal(o[-1]),
        high=exact_decimal(h[-1]),
        low=exact_decimal(low[-1]),
        close=exact_decimal(c[-1]),
        change_pct=pct(c[-1] / c[-2] - 1) if len(c) > 1 else None,
        rsi14=_last(indicators.rsi(c, 14)),
        macd_hist=_last(indicators.macd(c)[2]),
        supertrend=_last(line),
        supertrend_dir=None if np.isnan(st_dir) else int(st_dir),
        atr14=_last(indicators.atr(h, low, c, 14)),
        sma50=_last(indicators.sma(c, 50)),
        sma200=_last(indicators.sma(c, 200)),
    )


def _portfolio(deps: AgentDeps) -> tuple[AccountView, tuple[Position, ...]]:
    account = deps.broker.get_account()
    state, _ = trading_state(deps, account)
    day = account.equity / account.last_equity - 1 if account.last_equity > 0 else None
    dd = account.equity / account.equity_peak - 1 if account.equity_peak > 0 else None
    view = AccountView(
        equity=account.equity,
        cash=account.cash,
        buying_power=account.buying_power,
        day_pnl_pct=pct(day),
        drawdown_pct=pct(dd),
        state=state,
        timestamp=deps.clock.now(),
    )
    positions = tuple(sorted(deps.broker.get_positions(), key=lambda p: p.symbol))
    return view, positions


def build_snapshot(
    deps: AgentDeps, symbols: Iterable[str], *, portfolio: bool = True, timeframe: str = "1Day"
) -> MarketSnapshot:
    """The tick's snapshot at `deps.clock.now()`; unknown symbols raise UnknownSymbolError."""
    now = deps.clock.now()
    views = tuple(symbol_view(deps, resolve_symbol(deps, s), timeframe) for s in symbols)
    snapshot = MarketSnapshot(time=now, symbols=views)
    return snapshot.with_portfolio(deps) if portfolio else snapshot
