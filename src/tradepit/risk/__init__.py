"""Risk: the pre-trade gate, limits, trading state, position sizing and portfolio risk."""

from tradepit.risk.gate import (
    MarketContext,
    RiskGate,
    expected_fill_price,
    order_price,
    price_tick,
)
from tradepit.risk.limits import ReasonCode, RiskLimits, load_limits
from tradepit.risk.portfolio import (
    AlignedReturns,
    DailyReturns,
    aligned_returns,
    correlation_matrix,
    expected_shortfall,
    historical_var,
    pearson,
    portfolio_pnl,
)
from tradepit.risk.sizing import atr_size, fixed_fractional, fractional_kelly, kelly_fraction
from tradepit.risk.state import StateAssessment, assess_state, evaluate_state, stricter

__all__ = [
    "AlignedReturns",
    "DailyReturns",
    "MarketContext",
    "ReasonCode",
    "RiskGate",
    "RiskLimits",
    "StateAssessment",
    "aligned_returns",
    "assess_state",
    "atr_size",
    "correlation_matrix",
    "evaluate_state",
    "expected_fill_price",
    "expected_shortfall",
    "fixed_fractional",
    "fractional_kelly",
    "historical_var",
    "kelly_fraction",
    "load_limits",
    "order_price",
    "pearson",
    "portfolio_pnl",
    "price_tick",
    "stricter",
]
