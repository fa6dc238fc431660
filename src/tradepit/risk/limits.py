"""Risk limits (configuration with defaults) and the gate's reason codes.

Every rule the gate applies reads its threshold from `RiskLimits`; every reason it emits
carries one of the `ReasonCode` values below, so callers can branch on codes, never on text.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tradepit.domain.errors import ConfigError

MAX_LEVERAGE_CAP = Decimal(2)


class ReasonCode(StrEnum):
    """Stable, machine-readable codes of `RiskReason`. (B) = blocking (denies), (N) = note."""

    NO_PRICE = "no_price"
    """(B) No last price for the symbol in the market context nor in a held position."""
    INVALID_QUANTITY = "invalid_quantity"
    """(B) Quantity or notional is not positive, or the notional buys less than one step."""
    NOT_TRADABLE = "not_tradable"
    """(B) The asset lookup says the asset is not tradable (entries only)."""
    NOT_SHORTABLE = "not_shortable"
    """(B) A short entry on an asset the lookup marks as not shortable."""
    NOT_FRACTIONABLE = "not_fractionable"
    """(B) A fractional quantity on an asset the lookup marks as not fractionable."""
    NO_EQUITY = "no_equity"
    """(B) Account equity is zero or negative: no new exposure."""
    TRADING_HALTED = "trading_halted"
    """(B) State is HALTED and the order does not reduce risk."""
    REDUCING_ONLY = "reducing_only"
    """(B) State is REDUCING and the order does not reduce risk."""
    DAILY_LOSS_HALT = "daily_loss_halt"
    """(N) Equity vs last_equity is at or below -daily_loss_halt_pct: the state is HALTED."""
    DRAWDOWN_KILL = "drawdown_kill"
    """(N) Equity vs equity_peak is at or below -drawdown_kill_pct: the state is HALTED."""
    DAILY_LOSS_REDUCING = "daily_loss_reducing"
    """(N) Daily loss at or below -reducing_daily_loss_pct: the state is REDUCING."""
    DRAWDOWN_REDUCING = "drawdown_reducing"
    """(N) Drawdown at or below -reducing_drawdown_pct: the state is REDUCING."""
    MANUAL_HALT = "manual_halt"
    """(N) The kill switch is on: the state is HALTED."""
    STATE_OVERRIDE = "state_override"
    """(N) The caller passed a stricter state than the account implies; it was applied."""
    RISK_REDUCING = "risk_reducing"
    """(N) The order reduces an existing position; allowed in every state."""
    RESIZED_TO_CLOSE = "resized_to_close"
    """(N) The order would flip the position through zero; cut to the closing quantity."""
    NOTIONAL_CONVERTED = "notional_converted"
    """(N) A notional request was converted to a quantity at the reference price."""
    MAX_OPEN_POSITIONS = "max_open_positions"
    """(B) Opening another symbol would exceed max_open_positions."""
    MAX_POSITION_SIZE = "max_position_size"
    """(B) The position is already at or above max_position_pct of equity."""
    RESIZED_MAX_POSITION = "resized_max_position"
    """(N) Quantity cut to stay within max_position_pct of equity."""
    MAX_GROSS_EXPOSURE = "max_gross_exposure"
    """(B) Gross exposure is already at or above max_leverage x equity."""
    RESIZED_GROSS_EXPOSURE = "resized_gross_exposure"
    """(N) Quantity cut to keep gross exposure within max_leverage x equity."""
    INSUFFICIENT_BUYING_POWER = "insufficient_buying_power"
    """(B) Buying power does not cover a single quantity step."""
    RESIZED_BUYING_POWER = "resized_buying_power"
    """(N) Quantity cut to the account's buying power."""
    INVALID_BRACKET = "invalid_bracket"
    """(B) A given stop-loss or take-profit is on the wrong side of the reference price."""
    STOP_LOSS_ATTACHED = "stop_loss_attached"
    """(N) The entry had no stop-loss; one was attached at default_stop_loss_pct."""
    TAKE_PROFIT_ATTACHED = "take_profit_attached"
    """(N) The entry had no take-profit; one was attached at default_take_profit_pct."""
    CORRELATION_LIMIT = "correlation_limit"
    """(B) Direction-adjusted correlation with a holding is above max_correlation."""
    CORRELATION_SKIPPED = "correlation_skipped"
    """(N) Too little return history to check correlation; the rule was skipped."""
    VAR_LIMIT = "var_limit"
    """(B) Post-trade portfolio historical VaR exceeds max_var_pct of equity."""
    VAR_SKIPPED = "var_skipped"
    """(N) Too little return history for the post-trade portfolio; VaR was skipped."""


def _pct(default: str, *, le: float = 1.0) -> Decimal:
    return Field(default=Decimal(default), gt=0, le=le)  # type: ignore[return-value]


class RiskLimits(BaseModel):
    """Thresholds of the risk gate. Fractions are of account equity (0.10 = 10%).

    Losses are given as positive fractions: `daily_loss_halt_pct=0.05` halts at -5%.
    `max_leverage` above 2 is rejected as a configuration error.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_position_pct: Decimal = _pct("0.10")
    max_open_positions: int = Field(default=5, ge=1)
    max_leverage: Decimal = Field(default=Decimal(1), gt=0)
    """Gross exposure cap as a multiple of equity, at most 2 (above 2 is a config error)."""
    default_stop_loss_pct: Decimal = _pct("0.02", le=0.5)
    default_take_profit_pct: Decimal = _pct("0.06", le=0.5)
    daily_loss_halt_pct: Decimal = _pct("0.05")
    drawdown_kill_pct: Decimal = _pct("0.10")
    reducing_daily_loss_pct: Decimal = _pct("0.03")
    reducing_drawdown_pct: Decimal = _pct("0.07")
    max_correlation: float = Field(default=0.7, gt=0, le=1)
    correlation_window: int = Field(default=60, ge=2)
    """Number of most recent aligned daily returns used for Pearson correlation."""
    correlation_min_periods: int = Field(default=20, ge=2)
    max_var_pct: float | None = Field(default=0.03, gt=0, le=1)
    """Cap on 1-day historical VaR of the post-trade portfolio; None disables the rule."""
    var_confidence: float = Field(default=0.95, gt=0.5, lt=1)
    var_window: int = Field(default=250, ge=2)
    var_min_periods: int = Field(default=20, ge=2)

    @model_validator(mode="after")
    def _check_consistency(self) -> RiskLimits:
        if self.max_leverage > MAX_LEVERAGE_CAP:
            raise ValueError(f"max_leverage {self.max_leverage} is above the cap of 2")
        if self.reducing_daily_loss_pct > self.daily_loss_halt_pct:
            raise ValueError("reducing_daily_loss_pct must not exceed daily_loss_halt_pct")
        if self.reducing_drawdown_pct > self.drawdown_kill_pct:
            raise ValueError("reducing_drawdown_pct must not exceed drawdown_kill_pct")
        if self.correlation_min_periods > self.correlation_window:
            raise ValueError("correlation_min_periods must not exceed correlation_window")
        if self.var_min_periods > self.var_window:
            raise ValueError("var_min_periods must not exceed var_window")
        return self


def load_limits(data: Mapping[str, object] | None = None) -> RiskLimits:
    """Build `RiskLimits` from configuration values; invalid values raise `ConfigError`."""
    try:
        return RiskLimits.model_validate(dict(data or {}))
    except ValidationError as e:
        raise ConfigError(f"invalid risk limits: {e}") from e
