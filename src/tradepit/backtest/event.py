"""Event-driven backtest: a strategy replayed bar by bar through a ReplayClock and the paper
broker, the same path the agent's orders take.

Per bar t: the clock moves to the bar's open and the broker fills what was ordered before
(market orders at this open, stops and limits inside the bar); then the clock moves to the
bar's close, the strategy's target for bar t is read, and when it changed, orders are
submitted (they can only fill from bar t+1). Signals are computed once for the whole series
because every strategy is causal (tested); sizing uses the close of bar t:
``qty = floor(equity * |target| * size / unit_cost)`` with unit_cost including slippage and
commission. A reversal (long -> short or back) cancels the old stop and sends one order for the held
plus the new quantity, so both legs fill at the open of bar t+1; its stop-loss child covers
only the new position. The strategy's sizing is the limit here, so the backtest's paper
account gets leverage headroom. Trades still open at the end are closed at the last close
(like backtesting.py).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from tradepit.backtest.metrics import Metrics, Trade, compute_metrics
from tradepit.backtest.trades import trades_from_fills
from tradepit.broker.paper import PaperBroker, PaperConfig
from tradepit.clock import ReplayClock
from tradepit.domain.errors import UnknownSymbolError
from tradepit.domain.models import Asset, Fill, OrderRequest, Side, exact_decimal
from tradepit.market.arrays import row_bar
from tradepit.market.timeframe import annualisation_factor, parse_timeframe
from tradepit.strategies.base import Strategy, StrategyParams

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


MAX_COMMISSION_PCT = 0.1
"""Upper bound of ``commission_pct``: 10% of notional per fill, ten times the dearest retail
schedule; beyond it a backtest only measures the fee (at 1 the fee equals the trade)."""
MAX_SLIPPAGE_BPS = 1000.0
"""Upper bound of ``slippage_bps``: 10% against the trader per fill."""


@pydantic_dataclass(frozen=True, config=ConfigDict(allow_inf_nan=False))
class BacktestConfig:
    """Settings shared by the backtest, optimize and walkforward commands, validated once
    here (pydantic): costs are finite and not negative, cash and size above 0."""

    cash: float = Field(10_000.0, gt=0)
    commission_per_share: float = Field(0.0, ge=0)
    commission_pct: float = Field(0.0, ge=0, le=MAX_COMMISSION_PCT)
    """Fraction of notional per fill, e.g. 0.001 = 0.1%."""
    slippage_bps: float = Field(0.0, ge=0, le=MAX_SLIPPAGE_BPS)
    size: float = Field(1.0, gt=0)
    """Fraction of equity for a full (|target| = 1) position."""
    fractional: bool = False
    close_at_end: bool = True
    timeframe: str = "1Day"

    def unit_cost(self, price: float) -> float:
        """What one unit costs to buy at `price`, slippage and commission included."""
        slip = 1 + self.slippage_bps / 1e4
        return price * slip * (1 + self.commission_pct) + self.commission_per_share


@dataclass
class BacktestResult:
    symbol: str
    strategy: str
    params: dict
    metrics: Metrics
    equity: pd.Series
    trades: list[Trade]
    fills: list[Fill] = field(repr=False)
    signals: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict:
        return {
            "symbol": self.symbol,
            "strategy": self.strategy,
            "params": self.params,
            **self.metrics.to_dict(),
            "trade_list": [t.to_dict() for t in self.trades],
        }


class _Runner:
    """One backtest's mutable state; keeps `run_backtest` short."""

    def __init__(self, symbol: str, asset: Asset, config: BacktestConfig, start) -> None:
        self.symbol, self.config = symbol, config
        self.clock = ReplayClock(start)
        self.broker = PaperBroker(
            self.clock,
            lambda s: asset if s == symbol else _unknown(s),
            PaperConfig(
                starting_cash=exact_decimal(config.cash),
                commission_per_share=exact_decimal(config.commission_per_share),
                commission_pct=exact_decimal(config.commission_pct),
                slippage_bps=exact_decimal(config.slippage_bps),
                max_volume_share=None,
                allow_fractional=config.fractional,
                max_leverage=exact_decimal(2 * max(1.0, config.size)),
            ),
            account_id=f"backtest-{symbol}",
        )

    def rebalance(self, target: float, stop: float, price: float) -> None:
        """Trade from the held position to the target's: exit, enter, or one reversing order."""
        position = self.broker.get_position(self.symbol)
        held = float(position.qty) if position else 0.0
        if held and target and math.copysign(1, target) == math.copysign(1, held):
            return
        if held and not target:
            self.broker.close_position(self.symbol)
            return
        entry = self.entry(target, stop, price)
        if entry is None:
            if held:
                self.broker.close_position(self.symbol)
            return
        if held:
            for order in self.broker.list_orders("open"):
                if order.symbol == self.symbol:
                    self.broker.cancel_order(order.id)
            entry = entry.model_copy(update={"qty": entry.qty + abs(position.qty)})
        self.broker.submit_order(entry)

    def entry(self, target: float, stop: float, price: float) -> OrderRequest | None:
        equity = float(self.broker.get_account().equity)
        raw = equity * abs(target) * self.config.size / self.config.unit_cost(price)
        qty = math.floor(raw * 1e6) / 1e6 if self.config.fractional else math.floor(raw)
        if qty <= 0:
            log.info("target %s on %s too small to trade at %s", target, self.symbol, price)
            return None
        side = Side.BUY if target > 0 else Side.SELL
        stop_ok = math.isfinite(stop) and (stop < price if target > 0 else stop > price)
        return OrderRequest(
            symbol=self.symbol,
            side=side,
            qty=exact_decimal(qty),
            stop_loss=exact_decimal(stop) if stop_ok else None,
        )


def _unknown(symbol: str) -> Asset:
    raise UnknownSymbolError(symbol)


def run_backtest(
    strategy: Strategy,
    bars: pd.DataFrame,
    symbol: str,
    params: StrategyParams | None = None,
    config: BacktestConfig | None = None,
    asset: Asset | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Backtest `strategy` on `bars` (UTC-indexed OHLCV) through the paper broker."""
    config = config or BacktestConfig()
    params = params if params is not None else strategy.Params()
    asset = asset or Asset(symbol=symbol)
    signals = strategy.signals(bars, params)
    index = bars.index
    duration = parse_timeframe(config.timeframe).to_pytimedelta()
    runner = _Runner(symbol, asset, config, index[0].to_pydatetime())
    target, stop = signals["target"].to_numpy(), signals["stop"].to_numpy()
    columns = [bars[c].to_numpy(np.float64) for c in ("open", "high", "low", "close", "volume")]
    n = len(bars)
    equity, exposure = np.empty(n), np.zeros(n, dtype=bool)
    previous = 0.0
    for i in range(n):
        opened = index[i].to_pydatetime()
        runner.clock.advance_to(opened)
        o, h, low, c, v = (col[i] for col in columns)
        runner.broker.on_bar(row_bar(symbol, opened, o, h, low, c, v))
        runner.clock.advance_to(opened + duration)
        if i < n - 1 and target[i] != previous:
            runner.rebalance(target[i], stop[i], c)
            previous = target[i]
        account = runner.broker.get_account()
        equity[i] = float(account.equity)
        exposure[i] = account.long_market_value != 0 or account.short_market_value != 0
        if progress and (i % 256 == 0 or i == n - 1):
            progress(i + 1, n)
    fills = runner.broker.get_fills()
    trades, still_open = trades_from_fills(fills)
    fees = sum(float(f.commission) for f in fills)
    if config.close_at_end and still_open:
        closing, fee = _close_at_end(symbol, fills, still_open, columns[3][-1], index[-1], config)
        trades.append(closing)
        equity[-1] -= fee
        fees += fee
    curve = pd.Series(equity, index=index, name="equity")
    metrics = compute_metrics(
        curve,
        trades,
        annualisation_factor(asset.calendar, config.timeframe),
        exposure=exposure,
        fees=fees,
        benchmark_close=bars["close"],
    )
    return BacktestResult(
        symbol, strategy.name, params.model_dump(), metrics, curve, trades, fills, signals
    )


def _close_at_end(symbol, fills, still_open, last_close, last_time, config):
    """Close the open position at the last close, as a final fill that never reaches a broker."""
    qty = abs(still_open[symbol])
    fee = qty * (config.commission_per_share + config.commission_pct * last_close)
    side = Side.SELL if still_open[symbol] > 0 else Side.BUY
    final = Fill(
        id="close-at-end",
        order_id="close-at-end",
        client_order_id="close-at-end",
        symbol=symbol,
        side=side,
        qty=exact_decimal(qty),
        price=exact_decimal(last_close),
        commission=exact_decimal(fee),
        timestamp=last_time.to_pydatetime() + timedelta(microseconds=1),
    )
    trades, _ = trades_from_fills([*fills, final])
    return trades[-1], fee
