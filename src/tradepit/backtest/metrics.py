"""Performance metrics from an equity curve and a trade list.

Sharpe and Sortino use per-bar simple returns annualised by the asset's calendar (252
trading days for equities, 365 for crypto; intraday scaled by bars per day), risk-free 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Trade:
    """One round trip. `pnl` is net of the commissions of both legs."""

    symbol: str
    side: str
    qty: float
    entry_time: datetime
    exit_time: datetime
    entry_price: float
    exit_price: float
    pnl: float
    commission: float

    @property
    def return_pct(self) -> float:
        cost = self.qty * self.entry_price
        return 100.0 * self.pnl / cost if cost else 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["entry_time"] = self.entry_time.isoformat()
        data["exit_time"] = self.exit_time.isoformat()
        data["return_pct"] = self.return_pct
        return data


@dataclass(frozen=True)
class Metrics:
    start: datetime
    end: datetime
    start_equity: float
    end_equity: float
    return_pct: float
    cagr_pct: float
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown_pct: float
    max_drawdown_duration_bars: int
    win_rate: float
    profit_factor: float
    avg_win: float
    avg_loss: float
    exposure_pct: float
    trades: int
    fees: float
    buy_and_hold_return_pct: float

    def to_dict(self) -> dict:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in data.items()
        }


def drawdown(equity: np.ndarray) -> np.ndarray:
    """Fractional drawdown from the running peak (<= 0)."""
    peak = np.maximum.accumulate(equity)
    return equity / peak - 1.0


def _max_duration(dd: np.ndarray) -> int:
    longest = current = 0
    for under in dd < 0:
        current = current + 1 if under else 0
        longest = max(longest, current)
    return longest


def sharpe_ratio(returns: np.ndarray, periods_per_year: float) -> float:
    if len(returns) < 2:
        return 0.0
    std = returns.std(ddof=1)
    return float(returns.mean() / std * math.sqrt(periods_per_year)) if std > 0 else 0.0


def sortino_ratio(returns: np.ndarray, periods_per_year: float) -> float:
    if len(returns) < 2:
        return 0.0
    downside = np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2))
    if downside == 0:
        return 0.0
    return float(returns.mean() / downside * math.sqrt(periods_per_year))


def compute_metrics(
    equity: pd.Series,
    trades: Sequence[Trade],
    periods_per_year: float,
    exposure: np.ndarray | None = None,
    fees: float = 0.0,
    benchmark_close: pd.Series | None = None,
) -> Metrics:
    """Metrics of an equity curve (indexed by time) and its trades."""
    values = equity.to_numpy(dtype=np.float64)
    returns = np.diff(values) / values[:-1] if len(values) > 1 else np.zeros(0)
    dd = drawdown(values)
    total = values[-1] / values[0] - 1.0
    years = len(values) / periods_per_year
    cagr = (values[-1] / values[0]) ** (1.0 / years) - 1.0 if years > 0 and values[-1] > 0 else -1.0
    max_dd = float(dd.min())
    pnls = np.array([t.pnl for t in trades], dtype=np.float64)
    wins, losses = pnls[pnls > 0], pnls[pnls <= 0]
    gross_loss = -losses.sum()
    profit_factor = (
        float(wins.sum() / gross_loss) if gross_loss > 0 else math.inf if len(wins) else 0.0
    )
    bench = 0.0
    if benchmark_close is not None and len(benchmark_close) > 1:
        bench = float(benchmark_close.iloc[-1] / benchmark_close.iloc[0] - 1.0)
    return Metrics(
        start=equity.index[0].to_pydatetime(),
        end=equity.index[-1].to_pydatetime(),
        start_equity=float(values[0]),
        end_equity=float(values[-1]),
        return_pct=100.0 * total,
        cagr_pct=100.0 * cagr,
        sharpe=sharpe_ratio(returns, periods_per_year),
        sortino=sortino_ratio(returns, periods_per_year),
        calmar=float(cagr / -max_dd) if max_dd < 0 else 0.0,
        max_drawdown_pct=100.0 * max_dd,
        max_drawdown_duration_bars=_max_duration(dd),
        win_rate=float(len(wins) / len(pnls)) if len(pnls) else 0.0,
        profit_factor=profit_factor,
        avg_win=float(wins.mean()) if len(wins) else 0.0,
        avg_loss=float(losses.mean()) if len(losses) else 0.0,
        exposure_pct=100.0 * float(np.mean(exposure)) if exposure is not None else 0.0,
        trades=len(trades),
        fees=fees,
        buy_and_hold_return_pct=100.0 * bench,
    )
