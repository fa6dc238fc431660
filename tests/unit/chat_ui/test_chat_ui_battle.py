"""The last battle in the chat: leaderboard and equity curves from the recorded battle."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tradepit.battle import BattleConfig, build_leaderboard, run_battle
from tradepit.chat_ui.battle_view import BENCHMARK, NO_BATTLE, last_battle
from tradepit.storage import Store


@pytest.fixture
def store(tmp_path: Path):
    s = Store.from_url(f"sqlite:///{tmp_path / 'battle.db'}")
    s.migrate()
    yield s
    s.close()


def _battle(store: Store, run_id: str, models: tuple[str, ...]) -> None:
    config = BattleConfig(
        models=models, symbols=("SPX",), start=datetime(2017, 9, 25, tzinfo=UTC),
        end=datetime(2017, 10, 14, tzinfo=UTC), concurrency="sequential",
    )  # fmt: skip
    run_battle(config, store, run_id=run_id)


def test_no_battle_yet(store: Store) -> None:
    assert last_battle(store) is None
    assert "No battle has been run yet" in NO_BATTLE


def test_the_last_battle_with_its_leaderboard_and_curves(store: Store) -> None:
    _battle(store, "older", ("rules:supertrend", "rules:buy_and_hold"))
    _battle(store, "newer", ("rules:sma_cross", "rules:buy_and_hold"))
    view = last_battle(store)
    assert view is not None
    assert "**Battle `newer`** (completed)" in view.markdown
    board = build_leaderboard(store, "newer").samples[0]
    for rank, score in enumerate(board.scores, start=1):
        assert f"| {rank} | {score.name} | {score.model} | {score.net_return_pct:+.2f}% |" in (
            view.markdown
        )
    assert f"| - | {BENCHMARK} |" in view.markdown
    (_, bars), (_, equity) = view.figures
    assert list(bars.data[0].x) == [s.name for s in board.scores]
    assert [t.name for t in equity.data] == [
        *(c.name for c in build_leaderboard(store, "newer").record.competitors),
        BENCHMARK,
    ]
    for trace, score in zip(equity.data, sorted(board.scores, key=lambda s: s.index), strict=False):
        assert np.asarray(trace.y, dtype=float)[-1] == pytest.approx(score.end_equity)
