"""A replay's differences name plain numbers, not numpy reprs."""

from __future__ import annotations

import numpy as np

from tradepit.battle.leaderboard import differences


class Board:
    def __init__(self, metrics: dict) -> None:
        self._metrics = metrics

    def metrics(self) -> dict:
        return self._metrics


def test_differences_print_plain_numbers():
    a = Board({"s1/0": {"sharpe": np.float64(0.5), "trades": np.int64(3), "status": "ok"}})
    b = Board({"s1/0": {"sharpe": np.float64(0.25), "trades": np.int64(4), "status": "ok"}})
    assert differences(a, b) == ["s1/0.sharpe: 0.5 != 0.25", "s1/0.trades: 3 != 4"]
