"""The ablation harness: arms, windows, metrics, the paired bootstrap, and a tiny real run."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np
import pytest

from tradepit.config import Settings
from tradepit.memory.ablation import (
    METRICS,
    ArmResult,
    compare,
    curve_metrics,
    memory_arm,
    paired_bootstrap,
    pairs_from_leaderboard,
    plan_units,
    run_ablation,
)
from tradepit.memory.models import Kind
from tradepit.storage import Store


def test_arms() -> None:
    assert memory_arm("rules:supertrend") == ("rules:supertrend", "rules:supertrend+recall")
    assert memory_arm("rules:macd_rsi+recall") == ("rules:macd_rsi", "rules:macd_rsi+recall")
    assert memory_arm("gpt-4o") == ("gpt-4o", "gpt-4o")


def test_windows_are_consecutive_and_shared_by_the_symbols() -> None:
    start, end = datetime(2016, 1, 1, tzinfo=UTC), datetime(2016, 12, 31, tzinfo=UTC)
    units = plan_units(["SPX", "MSFT"], start, end, 4)
    assert [(u.window, u.symbols) for u in units[:3]] == [
        (1, ("SPX",)),
        (1, ("MSFT",)),
        (2, ("SPX",)),
    ]
    spans = [(u.start, u.end) for u in units if u.symbols == ("SPX",)]
    assert spans == [(u.start, u.end) for u in units if u.symbols == ("MSFT",)]
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))  # no overlap
    assert spans[0][0].date().isoformat() == "2016-01-04" and spans[-1][1].year == 2016
    together = plan_units(["SPX", "MSFT"], start, end, 4, per_symbol=False)
    assert [u.symbols for u in together] == [("SPX", "MSFT")] * 4
    with pytest.raises(ValueError, match="windows"):
        plan_units(["SPX"], start, datetime(2016, 1, 8, tzinfo=UTC), 4)


def test_curve_metrics_follow_their_definitions() -> None:
    equity = [100.0, 110.0, 99.0, 108.9]
    got = curve_metrics(equity)
    returns = np.diff(equity) / np.array(equity[:-1])
    sharpe = returns.mean() / returns.std(ddof=1) * math.sqrt(252)
    assert got["return_pct"] == pytest.approx(100 * (108.9 / 100 - 1))
    assert got["max_drawdown_pct"] == pytest.approx(100 * (99 / 110 - 1))
    assert got["sharpe"] == pytest.approx(sharpe)


def test_paired_bootstrap() -> None:
    rng = np.random.default_rng(7)
    better = rng.normal(1.0, 0.5, 12)
    interval = paired_bootstrap(better, seed=3)
    assert interval == paired_bootstrap(better, seed=3)  # seeded
    assert interval.low < interval.mean < interval.high
    assert interval.mean == pytest.approx(better.mean())
    assert interval.significant and interval.low > 0
    centred = better - better.mean()
    noise = paired_bootstrap(np.concatenate([centred, -centred]), seed=3)
    assert not noise.significant
    with pytest.raises(ValueError):
        paired_bootstrap([])


def test_the_bootstrap_resamples_whole_windows() -> None:
    diffs = [1.0, 1.2, 0.8, -1.0, -0.9, -1.1]
    single = paired_bootstrap(diffs, seed=1)
    assert paired_bootstrap(diffs, seed=1, clusters=range(6)) == single
    by_window = paired_bootstrap(diffs, seed=1, clusters=[1, 1, 1, 2, 2, 2])
    assert by_window.mean == single.mean
    assert by_window.high - by_window.low > single.high - single.low  # two clusters only
    assert by_window.low == pytest.approx(-1.0) and by_window.high == pytest.approx(1.0)


def _arm(unit: str, arm: str, r: float) -> ArmResult:
    return ArmResult(unit, arm, "m", r, r / 10, -abs(r), 10, 1)  # type: ignore[arg-type]


def test_compare_pairs_by_unit() -> None:
    pairs = [(_arm("w1", "without", 1.0), _arm("w1", "with", 3.0)),
             (_arm("w2", "without", -2.0), _arm("w2", "with", -1.0))]  # fmt: skip
    report = compare("m", pairs)
    assert report.differences["return_pct"].mean == pytest.approx((2.0 + 1.0) / 2)
    assert report.to_dict()["units"][1]["difference"]["return_pct"] == pytest.approx(1.0)
    assert set(report.differences) == set(METRICS)
    with pytest.raises(ValueError, match="paired"):
        compare("m", [(_arm("w1", "without", 1.0), _arm("w2", "with", 1.0))])


def test_pairs_from_a_battle_leaderboard() -> None:
    def score(index: int, r: float) -> SimpleNamespace:
        return SimpleNamespace(index=index, model=f"m{index}", return_pct=r, sharpe=r / 2,
                               max_drawdown_pct=-1.0, cycles=20, trades=3)  # fmt: skip

    board = SimpleNamespace(samples=[
        SimpleNamespace(sample=k, scores=(score(1, 2.0 * k), score(0, 1.0 * k))) for k in (1, 2)
    ])  # fmt: skip
    pairs = pairs_from_leaderboard(board, without=0, with_memory=1)
    assert [(a.unit, a.model, b.model) for a, b in pairs] == [
        ("s1", "m0", "m1"),
        ("s2", "m0", "m1"),
    ]
    assert compare("m0", pairs).differences["return_pct"].mean == pytest.approx(1.5)


def test_a_small_ablation_runs_both_arms_on_the_same_ticks(tmp_path) -> None:
    settings = Settings(home=tmp_path, _env_file=None)
    store = Store.from_url(f"sqlite:///{tmp_path / 'a.db'}")
    store.migrate()
    start, end = datetime(2016, 6, 1, tzinfo=UTC), datetime(2016, 6, 16, tzinfo=UTC)
    units = plan_units(["SPX"], start, end, 2)
    seen: list[ArmResult] = []
    try:
        (report,) = run_ablation(
            ["rules:supertrend"], units, store, settings, ablation_id="t", on_arm=seen.append
        )
        assert [(r.unit, r.arm) for r in seen] == [
            ("w1:SPX", "without"), ("w1:SPX", "with"), ("w2:SPX", "without"), ("w2:SPX", "with"),
        ]  # fmt: skip
        for off, on in report.pairs:
            assert off.cycles == on.cycles >= 5 and on.model == "rules:supertrend+recall"
        memory = [ns for ns, _ in _namespaces(store)]
        assert memory == ["agent:t-rules_supertrend-SPX"]  # the memory arm's, across windows
        decisions = _entries(store, memory[0])
        assert len(decisions) == sum(on.cycles for _, on in report.pairs)
    finally:
        store.close()


def _namespaces(store: Store):
    from tradepit.memory.journal import namespaces

    with store.read() as session:
        return namespaces(session)


def _entries(store: Store, namespace: str):
    from tradepit.memory.journal import listing

    with store.read() as session:
        return listing(session, namespace, [Kind.DECISION])
