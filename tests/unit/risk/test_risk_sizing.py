from decimal import Decimal as D

import pytest

from tradepit.risk import atr_size, fixed_fractional, fractional_kelly, kelly_fraction


def test_fixed_fractional_risks_the_given_share_of_equity():
    # 100,000 x 1% = 1,000 at risk; 2.00 per share -> 500 shares
    assert fixed_fractional(D(100000), D("0.01"), D(50), D(48)) == 500
    assert fixed_fractional(100000, 0.01, 48, 50) == 500  # a short: stop above entry
    # 1,000 / 3 = 333.33 -> 333 whole, 333.33 with a 0.01 step
    assert fixed_fractional(100000, "0.01", 50, 47) == 333
    assert fixed_fractional(100000, "0.01", 50, 47, step=D("0.01")) == D("333.33")
    assert isinstance(fixed_fractional(1000, 0.01, 10, 9), D)


def test_fixed_fractional_rejects_bad_input():
    with pytest.raises(ValueError, match="differ"):
        fixed_fractional(100000, 0.01, 50, 50)
    with pytest.raises(ValueError, match="equity"):
        fixed_fractional(0, 0.01, 50, 48)


def test_atr_size():
    # 1,000 at risk / (2.5 x 2) = 200
    assert atr_size(D(100000), D("0.01"), D("2.5"), 2) == 200
    assert atr_size(100000, 0.01, 3, 1.5) == 222  # 1000 / 4.5 = 222.2
    with pytest.raises(ValueError, match="atr"):
        atr_size(100000, 0.01, 0)


@pytest.mark.parametrize(
    ("p", "b", "expected"),
    [(0.6, 1.0, 0.2), (0.5, 2.0, 0.25), (0.4, 1.0, -0.2), (0.5, 1.0, 0.0), (1.0, 3.0, 1.0)],
)
def test_kelly_fraction(p, b, expected):
    assert kelly_fraction(p, b) == pytest.approx(expected)


def test_kelly_fraction_validates():
    with pytest.raises(ValueError):
        kelly_fraction(1.2, 1.0)
    with pytest.raises(ValueError):
        kelly_fraction(0.5, 0.0)


def test_fractional_kelly_from_history():
    # 12 wins of +2, 8 losses of -1: p = 0.6, b = 2 -> f* = (0.6*3 - 1)/2 = 0.4
    pnls = [2.0] * 12 + [-1.0] * 8
    assert fractional_kelly(pnls) == pytest.approx(0.2)  # half Kelly
    assert fractional_kelly(pnls, fraction=1.0) == pytest.approx(0.25)  # capped
    assert fractional_kelly(pnls, fraction=0.25, cap=1.0) == pytest.approx(0.1)


def test_fractional_kelly_is_zero_without_edge_or_history():
    assert fractional_kelly([1.0] * 8 + [-1.0] * 12) == 0.0  # p 0.4, b 1 -> -0.2
    assert fractional_kelly([2.0] * 12 + [-1.0] * 7) == 0.0  # 19 < 20 trades
    assert fractional_kelly([-1.0] * 30) == 0.0
    assert fractional_kelly([2.0] * 12 + [-1.0] * 7, min_trades=10) > 0


def test_fractional_kelly_breakeven_and_no_losses():
    # 10 wins, 10 zeros, no losses: p = 0.5, b unbounded -> f* = p; half -> 0.25
    assert fractional_kelly([1.0] * 10 + [0.0] * 10) == pytest.approx(0.25)
    assert fractional_kelly([1.0] * 10 + [0.0] * 10, fraction=0.2) == pytest.approx(0.1)
