import numpy as np
import pytest

from tradepit.risk import (
    correlation_matrix,
    expected_shortfall,
    historical_var,
    pearson,
    portfolio_pnl,
)
from tradepit.risk.portfolio import aligned_returns

PNL = np.random.default_rng(3).permutation(np.arange(-10.0, 90.0))  # 100 days


def test_historical_var_and_es_by_hand():
    # sorted -10..89: 5% quantile at index 4.95 -> -10 + 4.95 = -5.05; tail -10..-6 -> mean -8
    assert historical_var(PNL, 0.95) == pytest.approx(5.05)
    assert expected_shortfall(PNL, 0.95) == pytest.approx(8.0)
    # 99%: index 0.99 -> -9.01; tail is -10 alone
    assert historical_var(PNL, 0.99) == pytest.approx(9.01)
    assert expected_shortfall(PNL, 0.99) == pytest.approx(10.0)


def test_es_is_at_least_var():
    pnl = np.random.default_rng(0).standard_t(3, 500)
    assert expected_shortfall(pnl) >= historical_var(pnl)


def test_var_of_all_gains_is_negative():
    assert historical_var(np.arange(1.0, 101.0)) < 0


def test_var_validates_input():
    with pytest.raises(ValueError):
        historical_var(PNL, 1.0)
    with pytest.raises(ValueError):
        expected_shortfall(np.array([]))


def test_pearson_exact_and_degenerate():
    a = np.array([0.01, -0.02, 0.03, 0.0, -0.01, 0.02])
    assert pearson(a, 3 * a + 0.01, 10) == pytest.approx(1.0)
    assert pearson(a, -a, 10) == pytest.approx(-1.0)
    assert pearson(a, np.full(6, 0.01), 10) is None  # constant
    assert pearson(a, a, 10, min_periods=7) is None  # too short


def test_pearson_aligns_at_the_end_and_drops_nan_days():
    a = np.array([9.0, 9.0, 0.01, -0.02, 0.03, np.nan, -0.01])
    b = np.array([0.01, -0.02, 0.03, 0.5, -0.01])  # the last 5 days of a, bar the NaN day
    assert pearson(a, b, 10) == pytest.approx(1.0)
    mat = aligned_returns({"a": a, "b": b}, ["a", "b"], 10)
    assert mat.shape == (2, 4)
    assert aligned_returns({"a": a}, ["a", "b"], 10) is None


def test_portfolio_pnl_replays_signed_exposures():
    r = {"A": np.array([0.01, -0.02, 0.5]), "B": np.array([0.03, 0.01])}
    pnl = portfolio_pnl({"A": 1000.0, "B": -500.0}, r, window=5)
    # aligned last 2 days: A -0.02, 0.5; B 0.03, 0.01
    np.testing.assert_allclose(pnl, [-20.0 - 15.0, 500.0 - 5.0])
    assert portfolio_pnl({"A": 1.0, "C": 1.0}, r, 5) is None


def test_correlation_matrix():
    a = np.array([0.01, -0.02, 0.03, 0.0])
    m = correlation_matrix({"a": a, "b": -a, "c": 2 * a}, ["a", "b", "c"], 10)
    np.testing.assert_allclose(m, [[1, -1, 1], [-1, 1, -1], [1, -1, 1]])
