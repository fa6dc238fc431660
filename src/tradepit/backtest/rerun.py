"""The data behind a backtest chart, for any front end (Chainlit, Slack images).

`rerun_backtest` re-runs the backtest a `run_backtest` tool call reported (the tool returns
metrics only) to get its equity curve, trades and fills; `buy_and_hold` is the line it is
judged against. Shared by the front ends (Chainlit charts, Slack chart images).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tradepit.backtest.event import BacktestConfig, BacktestResult, run_backtest
from tradepit.domain.errors import NoDataError
from tradepit.domain.ports import MarketData
from tradepit.strategies import get_strategy


def rerun_backtest(market: MarketData, output: dict[str, Any]) -> BacktestResult:
    """The backtest a `run_backtest` tool call reported (same strategy, parameters, bars
    and default config), re-run. NoDataError when the bars are no longer the same."""
    strategy = get_strategy(output["strategy"])
    params = strategy.Params(**output["params"])
    symbol = output["symbol"]
    start = pd.Timestamp(output["start"], tz="UTC").to_pydatetime()
    end = pd.Timestamp(output["end"], tz="UTC").to_pydatetime()
    bars = market.get_bars(symbol, "1Day", start=start, end=end)
    if len(bars) != output["bars"]:
        raise NoDataError(f"{len(bars)} bars of {symbol} now, the backtest had {output['bars']}")
    return run_backtest(strategy, bars, symbol, params, BacktestConfig(), market.get_asset(symbol))


def buy_and_hold(equity: pd.Series, closes: pd.Series) -> pd.Series:
    """Holding the symbol from the first point of `equity`, on the same scale and index."""
    hold = closes.reindex(equity.index).ffill()
    return hold / hold.iloc[0] * equity.iloc[0]
