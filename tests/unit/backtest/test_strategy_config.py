"""Per-symbol strategy config files: atomic writes, loading, and hot reload by a watcher."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tradepit.backtest.strategy_config import (
    StrategyConfig,
    StrategyConfigWatcher,
    load_strategy_config,
    strategy_config_path,
    write_strategy_config,
)
from tradepit.domain.errors import ConfigError
from tradepit.strategies import get_strategy

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def config(fast: int, slow: int, symbol: str = "SPX", **extra) -> StrategyConfig:
    return StrategyConfig(
        strategy="sma_cross",
        symbol=symbol,
        params={"fast": fast, "slow": slow},
        objective="sharpe",
        value=fast / slow,
        study="s1",
        updated_at=WHEN,
        **extra,
    )


def test_path_is_per_strategy_and_symbol(tmp_path: Path):
    path = strategy_config_path(tmp_path, "sma_cross", "spx")
    assert path == tmp_path / "strategies" / "sma_cross" / "SPX.json"
    for bad in ("../etc", "a/b", ""):
        with pytest.raises(ConfigError):
            strategy_config_path(tmp_path, "sma_cross", bad)


def test_write_then_load_round_trips(tmp_path: Path):
    written = config(12, 40, metrics={"trades": 9})
    path = write_strategy_config(tmp_path, written)
    assert path == strategy_config_path(tmp_path, "sma_cross", "SPX")
    assert load_strategy_config(tmp_path, "sma_cross", "SPX") == written
    assert json.loads(path.read_text())["params"] == {"fast": 12, "slow": 40}
    assert [p.name for p in path.parent.iterdir()] == ["SPX.json"]  # no temp file left


def test_missing_file_is_none_and_a_broken_one_is_an_error(tmp_path: Path):
    assert load_strategy_config(tmp_path, "sma_cross", "SPX") is None
    path = strategy_config_path(tmp_path, "sma_cross", "SPX")
    path.parent.mkdir(parents=True)
    path.write_text('{"strategy": "sma_cross", "params": ')
    with pytest.raises(ConfigError, match="invalid"):
        load_strategy_config(tmp_path, "sma_cross", "SPX")


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = write_strategy_config(tmp_path, config(10, 30))

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_strategy_config(tmp_path, config(20, 50))
    monkeypatch.undo()
    assert load_strategy_config(tmp_path, "sma_cross", "SPX").params == {"fast": 10, "slow": 30}
    assert [p.name for p in path.parent.iterdir()] == ["SPX.json"]


def test_watcher_uses_defaults_until_a_file_exists(tmp_path: Path):
    watcher = StrategyConfigWatcher(tmp_path, "sma_cross", "SPX")
    assert watcher.params == get_strategy("sma_cross").Params()
    assert watcher.config is None and watcher.version == 0


def test_watcher_hot_reloads_without_a_new_object(tmp_path: Path):
    watcher = StrategyConfigWatcher(tmp_path, "sma_cross", "spx")
    write_strategy_config(tmp_path, config(12, 40))
    first = watcher.params
    assert (first.fast, first.slow) == (12, 40)
    assert watcher.params is first  # unchanged file: no reload
    write_strategy_config(tmp_path, config(15, 60))  # same size, possibly the same mtime tick
    second = watcher.params
    assert (second.fast, second.slow) == (15, 60)
    assert watcher.version == 2
    assert watcher.config.value == pytest.approx(15 / 60)


def test_watcher_ignores_a_rewrite_with_the_same_content(tmp_path: Path):
    watcher = StrategyConfigWatcher(tmp_path, "sma_cross", "SPX")
    write_strategy_config(tmp_path, config(12, 40))
    assert watcher.refresh() is True
    write_strategy_config(tmp_path, config(12, 40))
    assert watcher.refresh() is False
    assert watcher.version == 1


def test_watcher_keeps_the_last_good_params_on_a_bad_file(tmp_path, caplog):
    watcher = StrategyConfigWatcher(tmp_path, "sma_cross", "SPX")
    write_strategy_config(tmp_path, config(12, 40))
    assert watcher.params.fast == 12
    write_strategy_config(tmp_path, config(50, 20))  # fast >= slow: the params model refuses
    assert watcher.params.fast == 12
    write_strategy_config(
        tmp_path, config(8, 21, symbol="SPX").model_copy(update={"symbol": "MSFT"})
    )
    assert watcher.params.fast == 12
    assert "keeping the previous parameters" in caplog.text
    write_strategy_config(tmp_path, config(8, 21))
    assert (watcher.params.fast, watcher.params.slow) == (8, 21)


def test_a_crashed_writers_temp_file_is_never_read(tmp_path: Path):
    path = write_strategy_config(tmp_path, config(12, 40))
    watcher = StrategyConfigWatcher(tmp_path, "sma_cross", "SPX")
    assert watcher.params.fast == 12
    (path.parent / f".{path.name}.partial.tmp").write_text('{"strategy": "sma_cro')
    assert watcher.refresh() is False
    assert load_strategy_config(tmp_path, "sma_cross", "SPX").params["fast"] == 12


def test_a_half_written_file_is_never_observed(tmp_path: Path):
    """A writer rewrites the file as fast as it can while a reader loads it and a watcher
    reloads it: every read parses and holds one of the written parameter sets."""
    sets = [(f, f + 10 + f % 7) for f in range(2, 40)]
    write_strategy_config(tmp_path, config(*sets[0]))
    watcher = StrategyConfigWatcher(tmp_path, "sma_cross", "SPX")
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            write_strategy_config(tmp_path, config(*sets[i % len(sets)]))
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    loaded_seen, watched_seen = set(), set()
    deadline = time.monotonic() + 20
    try:
        reads = 0
        while reads < 300 or min(len(loaded_seen), len(watched_seen)) < 3:
            loaded = load_strategy_config(tmp_path, "sma_cross", "SPX")  # raises if torn
            loaded_seen.add((loaded.params["fast"], loaded.params["slow"]))
            p = watcher.params
            watched_seen.add((p.fast, p.slow))
            reads += 1
            if time.monotonic() > deadline:
                break
    finally:
        stop.set()
        thread.join()
    assert loaded_seen | watched_seen <= set(sets)
    assert len(loaded_seen) >= 3 and len(watched_seen) >= 3  # rewrites were seen
    assert watcher.version >= 3
