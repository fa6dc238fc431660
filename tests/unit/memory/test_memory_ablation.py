"""The ablation statistics (paired bootstrap, pairs from a battle) and a tiny real run."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np
import pytest

from tradepit.battle import BattleConfig
from tradepit.battle.ablation import run_ablation
from tradepit.config import Settings
from tradepit.memory.ablation import (
    METRICS,
    ArmResult,
    compare,
    paired_bootstrap,
    pairs_from_leaderboard,
)
from tradepit.memory.models import Kind
from tradepit.storage import Store


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
        return SimpleNamespace(index=index, name=f"m{index}", return_pct=r, sharpe=r / 2,
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
    labelled = pairs_from_leaderboard(board, without=0, with_memory=1, label="SPX")
    assert [(a.unit, a.window) for a, _ in labelled] == [("s1:SPX", 1), ("s2:SPX", 2)]


def test_one_window_gives_no_interval() -> None:
    one = paired_bootstrap([1.0, 2.0, 3.0], seed=1, clusters=[4, 4, 4])
    assert one.mean == pytest.approx(2.0) and one.low is None and one.high is None
    assert not one.significant and one.n == 3
    assert one.to_dict()["significant"] is False


def test_a_small_ablation_runs_both_arms_on_the_same_ticks(tmp_path) -> None:
    """`tradepit memory ablation` as battles: one per symbol, X and X+memory in each, the
    memory carried across the windows in one namespace per competitor."""
    settings = Settings(home=tmp_path, memory_backend="ephemeral", _env_file=None)
    store = Store.from_url(f"sqlite:///{tmp_path / 'a.db'}")
    store.migrate()
    start, end = datetime(2016, 6, 1, tzinfo=UTC), datetime(2016, 6, 16, tzinfo=UTC)
    config = BattleConfig(
        models=["rules:supertrend"], symbols=["SPX"], start=start, end=end, windows=2
    )
    seen: list[str] = []
    try:
        result = run_ablation(
            config, store, settings, "t", on_battle=lambda b: seen.append(b.run_id)
        )
        assert seen == ["t-SPX"]
        (report,) = result.reports
        assert report.model == "rules:supertrend"
        assert [(off.unit, on.unit) for off, on in report.pairs] == [
            ("s1:SPX", "s1:SPX"), ("s2:SPX", "s2:SPX"),
        ]  # fmt: skip
        for off, on in report.pairs:
            assert off.cycles == on.cycles >= 5 and on.model == "rules:supertrend+memory"
        assert report.differences["return_pct"].n == 2
        assert result.to_dict()["memory_ablation"][0]["units"][0]["unit"] == "s1:SPX"
        memory = [ns for ns, _ in _namespaces(store)]
        assert memory == ["battle:t-SPX:c1"]  # the memory arm's, across windows
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


def test_the_cli_runs_the_battle_ablation(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from tradepit.cli import app

    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path))
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    args = ["memory", "ablation", "--symbols", "SPX", "--start", "2016-06-01", "--end",
            "2016-06-10", "--windows", "50"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "cannot make 50 windows" in result.output
