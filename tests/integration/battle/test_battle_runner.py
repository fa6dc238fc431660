"""Battles end to end on bundled data: fairness (one snapshot per tick, for everyone),
records, leaderboard, replay to the identical leaderboard, same outcome in every
concurrency mode."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.integration.battle.models import END, START, small_config

from tradepit.agent.backends.rules import RulesBackend
from tradepit.battle import BattleRunner, build_leaderboard, replay_battle, run_battle
from tradepit.battle import runner as runner_module
from tradepit.battle.records import decision_log, load_battle
from tradepit.domain.errors import ConfigError
from tradepit.storage import RunStatus


def test_one_snapshot_per_tick_shared_by_every_competitor(store, monkeypatch):
    built, seen = [], []
    real = runner_module.build_snapshot

    def counting(*args, **kwargs):
        built.append(real(*args, **kwargs))
        return built[-1]

    class Spy(RulesBackend):
        def complete(self, messages, tools):
            seen.append((self.name, messages[1]["content"]))  # the decision prompt
            return super().complete(messages, tools)

    monkeypatch.setattr(runner_module, "build_snapshot", counting)
    board = run_battle(
        small_config(), store, run_id="fair",
        backends=lambda c, s: Spy(c.model.split(":")[1]),
    )  # fmt: skip
    ticks = board.samples[0].ticks
    assert ticks == 15 and len(built) == ticks
    assert all(b.account is None for b in built)  # market only; portfolios are per competitor
    prompts: dict[str, list[str]] = {}
    for name, prompt in seen:
        if prompt not in prompts.setdefault(name, []):
            prompts[name].append(prompt)
    markets = {name: [p.split("Account:")[0] for p in ps] for name, ps in prompts.items()}
    assert len(markets) == 3 and len({tuple(m) for m in markets.values()}) == 1  # same market


def test_battle_is_recorded_and_scored(store):
    board = run_battle(small_config(), store, run_id="rec")
    record = load_battle(store, "rec")
    assert record.run.status is RunStatus.COMPLETED
    [sample] = board.samples
    assert [s.name for s in sample.scores] != [] and len(sample.scores) == 3
    for s in sample.scores:
        assert s.cycles == 15 and s.failures == 0 and s.status == "ok"
        assert s.model_calls >= 30  # rules: at least two turns per cycle, recorded
        assert s.tokens_in == s.tokens_out == 0 and s.cost_usd == 0.0
        assert s.net_return_pct == pytest.approx(100 * (s.end_equity / 100_000 - 1))
    traded = [s for s in sample.scores if s.fills]
    assert traded and all(s.fees > 0 for s in traded)  # 5 bps commission applied
    nets = [s.net_return_pct for s in sample.scores]
    assert nets == sorted(nets, reverse=True)
    bench = sample.benchmark
    assert bench.return_pct != 0 and bench.cycles == 15
    log = decision_log(store, "rec.s1.c0")
    assert len(log) == 15
    first = log[0]
    assert {d["symbol"] for d in first["decisions"]} == {"SPX", "MSFT"}
    assert first["tool_calls"] and all(t["result"] is not None for t in first["tool_calls"])
    assert first["model_calls"][0]["model"] == "rules:supertrend"


def test_replay_reaches_the_identical_leaderboard(store):
    run_battle(small_config(), store, run_id="orig")
    result = replay_battle(store, "orig")
    assert result.identical, result.differences
    assert result.replay.run_id == "orig-r1" and result.replay.record.replay_of == "orig"
    assert result.original.metrics() == result.replay.metrics()  # bit for bit
    # and a different battle is told apart
    run_battle(small_config(commission_pct=0.002), store, run_id="other")
    from tradepit.battle.leaderboard import differences

    assert differences(build_leaderboard(store, "orig"), build_leaderboard(store, "other"))


def test_outcome_does_not_depend_on_concurrency(store):
    boards = {
        mode: run_battle(small_config(concurrency=mode), store, run_id=f"c-{mode}")
        for mode in ("sequential", "threads", "processes")
    }
    metrics = {mode: b.samples[0].scores for mode, b in boards.items()}
    assert metrics["sequential"] == metrics["threads"] == metrics["processes"]


def test_windows_give_samples_with_bootstrap_intervals(store):
    config = small_config(start=START - pd.Timedelta(days=28), end=END, windows=3)
    board = run_battle(config, store, run_id="win")
    assert len(board.samples) == 3
    assert board.samples[0].end < board.samples[1].start < board.samples[2].start
    [a, *_] = board.aggregates
    e = a.estimates["net_return_pct"]
    assert e.n == 3 and e.low <= e.mean <= e.high
    assert a.versus_benchmark in ("beats", "trails", "no significant difference")


def test_bad_battles_are_refused(store):
    with pytest.raises(ConfigError, match="exists"):
        run_battle(small_config(), store, run_id="dup")
        run_battle(small_config(), store, run_id="dup")
    with pytest.raises(ConfigError, match="finer"):
        BattleRunner(small_config(cadence="1h"), store, "hourly")
    with pytest.raises(ConfigError, match="after the battle start"):
        run_battle(
            small_config(start=pd.Timestamp("1986-01-02", tz="UTC").to_pydatetime()),
            store, run_id="early",
        )  # fmt: skip
    late = small_config(end=pd.Timestamp("2024-12-31", tz="UTC").to_pydatetime())
    with pytest.raises(
        ConfigError, match=r"SPX data ends 2018-12-31.*common to all symbols: .*\.\.2017-11-10"
    ):
        BattleRunner(late, store, "past-the-data")  # refused before anything runs
    assert store.get_run("past-the-data") is None


def test_hourly_battle_on_users_files(store, tmp_path):
    from tradepit.market import synthetic_ohlcv

    files = {}
    for i in (1, 2):
        frame = synthetic_ohlcv(i, bars=2000, timeframe="1Hour", start="2021-01-04", seed=i)
        frame.to_csv(tmp_path / f"SYN-{i}.csv")
        files[f"SYN-{i}"] = str(tmp_path / f"SYN-{i}.csv")
    config = small_config(
        symbols=tuple(files), data=files, cadence="1h",
        start=pd.Timestamp("2021-10-04", tz="UTC").to_pydatetime(),
        end=pd.Timestamp("2021-10-06", tz="UTC").to_pydatetime(),
    )  # fmt: skip
    board = run_battle(config, store, run_id="hourly")
    [sample] = board.samples
    assert sample.ticks == 14  # 7 hourly ticks per XNYS session
    log = decision_log(store, "hourly.s1.c0")
    stamps = [pd.Timestamp(e["time"]) for e in log]
    assert stamps[1] - stamps[0] == pd.Timedelta(hours=1)
    assert all(s.cycles == 14 and s.status == "ok" for s in sample.scores)
