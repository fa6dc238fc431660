import numpy as np
import pytest
from tests.dated_returns import dated

from tradepit.risk import (
    DailyReturns,
    aligned_returns,
    correlation_matrix,
    expected_shortfall,
    historical_var,
    pearson,
    portfolio_pnl,
)
from tradepit.risk.portfolio import common_days

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
    assert pearson(a, 3 * a + 0.01) == pytest.approx(1.0)
    assert pearson(a, -a) == pytest.approx(-1.0)
    assert pearson(a, np.full(6, 0.01)) is None  # constant
    assert pearson(a, a, min_periods=7) is None  # too short


def test_daily_returns_check_their_days():
    with pytest.raises(ValueError, match="increasing"):
        DailyReturns(days=np.array(["2024-01-03", "2024-01-02"], "datetime64[D]"),
                     values=np.zeros(2))  # fmt: skip
    with pytest.raises(ValueError, match="2 days for 3"):
        DailyReturns(days=np.array(["2024-01-02", "2024-01-03"], "datetime64[D]"),
                     values=np.zeros(3))  # fmt: skip


def test_aligned_returns_pair_by_date_and_drop_nan_days():
    a = dated([9.0, 9.0, 0.01, -0.02, 0.03, np.nan, -0.01])
    b = dated([0.01, -0.02, 0.03, 0.5, -0.01])  # the last 5 days of a, bar the NaN day
    aligned = aligned_returns({"a": a, "b": b}, ["a", "b"], 10)
    assert aligned.count == 4 and pearson(*aligned.matrix) == pytest.approx(1.0)
    assert aligned_returns({"a": a}, ["a", "b"], 10) is None


def test_series_that_end_on_different_days_are_paired_on_their_common_days():
    """By position, b's last days would be paired with a's last days (other dates)."""
    rng = np.random.default_rng(5)
    a = dated(rng.normal(0, 0.01, 200), end="2018-12-31")
    early = a.values[:120]  # b ends 80 business days before a: same returns, same days
    b = DailyReturns(days=a.days[:120], values=2 * early + 0.001)
    aligned = aligned_returns({"a": a, "b": b}, ["a", "b"], 60)
    assert aligned.count == 60 and aligned.last_day == a.days[119]
    np.testing.assert_array_equal(aligned.matrix[0], a.values[60:120])
    assert pearson(*aligned.matrix) == pytest.approx(1.0)
    assert abs(pearson(a.values[-60:], b.values[-60:])) < 0.5  # what pairing by position saw


def test_common_days_of_disjoint_and_gappy_histories():
    a = dated(np.zeros(10), end="2024-01-31")
    b = dated(np.zeros(10), end="2023-01-31")
    assert len(common_days([a, b])) == 0
    c = DailyReturns(days=a.days[::2], values=np.zeros(5))  # every other day
    np.testing.assert_array_equal(common_days([a, c]), a.days[::2])
    assert aligned_returns({"a": a, "b": b}, ["a", "b"], 60).count == 0


def test_portfolio_pnl_replays_signed_exposures():
    r = {"A": dated([0.01, -0.02, 0.5]), "B": dated([0.03, 0.01])}
    pnl = portfolio_pnl({"A": 1000.0, "B": -500.0}, r, window=5)
    # common last 2 days: A -0.02, 0.5; B 0.03, 0.01
    np.testing.assert_allclose(pnl, [-20.0 - 15.0, 500.0 - 5.0])
    assert portfolio_pnl({"A": 1.0, "C": 1.0}, r, 5) is None


def test_correlation_matrix():
    a = np.array([0.01, -0.02, 0.03, 0.0])
    m = correlation_matrix({"a": dated(a), "b": dated(-a), "c": dated(2 * a)}, ["a", "b", "c"], 10)
    np.testing.assert_allclose(m, [[1, -1, 1], [-1, 1, -1], [1, -1, 1]])
