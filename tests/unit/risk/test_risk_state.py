"""Trading state transitions with hand-checked thresholds (defaults: -3%/-5% daily,
-7%/-10% drawdown, all inclusive)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from tradepit.domain.models import Account, TradingState
from tradepit.risk import RiskLimits, assess_state, evaluate_state, stricter

ACTIVE, REDUCING, HALTED = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED
LIMITS = RiskLimits()


def account(equity, last="100000", peak="100000") -> Account:
    return Account(
        id="a",
        cash=D(equity),
        equity=D(equity),
        buying_power=D(equity),
        last_equity=D(last),
        equity_peak=D(peak),
        timestamp=datetime(2024, 1, 2, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("equity", "expected", "codes"),
    [
        ("100000", ACTIVE, ()),
        ("97000.01", ACTIVE, ()),  # -2.99999%
        ("97000", REDUCING, ("daily_loss_reducing",)),  # exactly -3%
        ("95000.01", REDUCING, ("daily_loss_reducing",)),
        ("95000", HALTED, ("daily_loss_halt",)),  # exactly -5%
        ("80000", HALTED, ("daily_loss_halt", "drawdown_kill")),
    ],
)
def test_daily_loss_thresholds(equity, expected, codes):
    assessed = assess_state(account(equity), LIMITS)
    assert assessed.state is expected
    assert tuple(r.code for r in assessed.reasons) == codes
    assert not any(r.blocking for r in assessed.reasons)


@pytest.mark.parametrize(
    ("equity", "expected"),
    [("93000.01", ACTIVE), ("93000", REDUCING), ("90000.01", REDUCING), ("90000", HALTED)],
)
def test_drawdown_thresholds_from_peak(equity, expected):
    # last_equity == equity: no daily loss; peak 100,000
    assert evaluate_state(account(equity, last=equity), LIMITS) is expected


def test_state_follows_equity_down_a_losing_day():
    path = ["100000", "98000", "96500", "95500", "94000"]
    assert [evaluate_state(account(e), LIMITS) for e in path] == [
        ACTIVE,
        ACTIVE,
        REDUCING,
        REDUCING,
        HALTED,
    ]


def test_recovery_returns_to_active():
    # state is computed, not stored: back above the thresholds means ACTIVE again
    assert evaluate_state(account("96000"), LIMITS) is REDUCING
    assert evaluate_state(account("99000"), LIMITS) is ACTIVE


def test_manual_halt_forces_halted():
    assessed = assess_state(account("100000"), LIMITS, manual_halt=True)
    assert assessed.state is HALTED and [r.code for r in assessed.reasons] == ["manual_halt"]


def test_custom_thresholds():
    limits = RiskLimits(reducing_daily_loss_pct=D("0.01"), daily_loss_halt_pct=D("0.02"))
    assert evaluate_state(account("99000"), limits) is REDUCING
    assert evaluate_state(account("98000"), limits) is HALTED


def test_non_positive_bases_are_ignored():
    assert evaluate_state(account("50", last="0", peak="0"), LIMITS) is ACTIVE


def test_a_gain_is_active_even_below_a_stale_peak_within_limits():
    assert evaluate_state(account("96000", last="90000", peak="100000"), LIMITS) is ACTIVE


def test_stricter_orders_states():
    assert stricter(ACTIVE, REDUCING) is REDUCING
    assert stricter(HALTED, REDUCING) is HALTED
    assert stricter(ACTIVE, ACTIVE) is ACTIVE
