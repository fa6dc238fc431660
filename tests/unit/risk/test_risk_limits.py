from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from tradepit.domain.errors import ConfigError
from tradepit.risk import RiskLimits, load_limits


def test_defaults_match_the_spec():
    lim = RiskLimits()
    assert lim.max_position_pct == D("0.10") and lim.max_open_positions == 5
    assert lim.max_leverage == 1
    assert (lim.default_stop_loss_pct, lim.default_take_profit_pct) == (D("0.02"), D("0.06"))
    assert (lim.daily_loss_halt_pct, lim.drawdown_kill_pct) == (D("0.05"), D("0.10"))
    assert (lim.reducing_daily_loss_pct, lim.reducing_drawdown_pct) == (D("0.03"), D("0.07"))
    assert lim.max_correlation == 0.7 and lim.max_var_pct == 0.03 and lim.var_confidence == 0.95


def test_leverage_up_to_two_is_allowed_and_above_is_a_config_error():
    assert RiskLimits(max_leverage=2).max_leverage == 2
    with pytest.raises(ValidationError, match="cap of 2"):
        RiskLimits(max_leverage=D("2.01"))
    with pytest.raises(ConfigError, match="cap of 2"):
        load_limits({"max_leverage": 3})


@pytest.mark.parametrize(
    "bad",
    [
        {"max_position_pct": 0},
        {"max_position_pct": "1.5"},
        {"max_open_positions": 0},
        {"default_stop_loss_pct": "0.6"},
        {"reducing_daily_loss_pct": "0.06"},  # above the 5% halt
        {"reducing_drawdown_pct": "0.2"},
        {"correlation_min_periods": 100, "correlation_window": 50},
        {"var_confidence": 1.0},
        {"unknown_limit": 1},
    ],
)
def test_invalid_limits_are_config_errors(bad):
    with pytest.raises(ConfigError):
        load_limits(bad)


def test_limits_are_frozen_and_configurable():
    lim = load_limits({"max_position_pct": "0.2", "max_var_pct": None})
    assert lim.max_position_pct == D("0.2") and lim.max_var_pct is None
    with pytest.raises(ValidationError):
        lim.max_open_positions = 9  # type: ignore[misc]
