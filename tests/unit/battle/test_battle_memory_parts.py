"""Memory in battles, the parts without a battle: specs, namespaces, tools, groups, reads
strictly before the tick, and the ablation's arms and pairs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from tradepit.battle.ablation import ablation_models, memory_pairs
from tradepit.battle.competitor import BATTLE_TOOLS, MEMORY_TOOLS, battle_tools
from tradepit.battle.config import BattleConfig, backend_spec, memory_namespace
from tradepit.battle.memory import BattleMemory, TickScope
from tradepit.battle.runner import BattleRunner
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError
from tradepit.memory import namespaces

START, END = datetime(2017, 1, 3, tzinfo=UTC), datetime(2017, 12, 29, tzinfo=UTC)


def config(**overrides: Any) -> BattleConfig:
    values = {"models": ("rules:supertrend", "rules:supertrend+memory", "gpt-4o+memory"),
              "symbols": ("SPX",), "start": START, "end": END} | overrides  # fmt: skip
    return BattleConfig(**values)


def test_a_memory_spec_names_its_backend() -> None:
    assert backend_spec("rules:supertrend+memory") == "rules:supertrend+recall"
    assert backend_spec("rules:supertrend+recall+memory") == "rules:supertrend+recall"
    assert backend_spec("openai/gpt-4o+memory") == "openai/gpt-4o"
    url = "openai/qwen@http://127.0.0.1:8000/v1"
    assert backend_spec(f"{url}+memory") == url
    assert backend_spec("rules:supertrend") == "rules:supertrend"
    plain, rules, llm = config().competitors()
    assert (plain.memory, rules.memory, llm.memory) == (False, True, True)
    assert (plain.backend, rules.backend, llm.backend) == (
        "rules:supertrend", "rules:supertrend+recall", "gpt-4o",
    )  # fmt: skip


def test_namespaces_per_competitor_shared_and_per_sample() -> None:
    own = config(windows=4)
    names = [memory_namespace("b1", s, i, own) for s in (1, 2) for i in (1, 2)]
    assert names == ["battle:b1:c1", "battle:b1:c2"] * 2  # carried over the windows
    assert all(namespaces.check(n) for n in names)
    shared = config(windows=4, shared_memory=True)
    assert {memory_namespace("b1", s, i, shared) for s in (1, 2) for i in (1, 2)} == {
        "battle:b1:shared"
    }
    fresh = (config(windows=4, fresh_memory=True), config(repeats=3), config(windows=2, blind=True))
    for each in fresh:
        assert each.memory_per_sample
        assert memory_namespace("b1", 2, 1, each) == "battle:b1.s2:c1"
    for one in (config(blind=True), config(fresh_memory=True)):  # one sample: no suffix
        assert memory_namespace("b1", 1, 1, one) == "battle:b1:c1"
    with pytest.raises(ValidationError, match="memory"):
        config(models=("rules:supertrend",), shared_memory=True)


def test_memory_tools_only_for_memory_competitors() -> None:
    plain = [t.name for t in battle_tools()]
    with_memory = [t.name for t in battle_tools(memory=True)]
    assert set(plain) == set(BATTLE_TOOLS) and not set(plain) & set(MEMORY_TOOLS)
    assert set(with_memory) == set(BATTLE_TOOLS) | set(MEMORY_TOOLS)
    assert [n for n in with_memory if n not in MEMORY_TOOLS] == plain  # same order otherwise


def test_memory_competitors_stay_in_the_runner_process() -> None:
    comps = BattleConfig(
        models=("a", "b+memory", "c", "d+memory", "e"), symbols=("SPX",), start=START, end=END
    ).competitors()
    chunks = BattleRunner._chunks(comps, 3)
    assert chunks[0] == [1, 3] and len(chunks) == 3
    assert sorted(i for chunk in chunks[1:] for i in chunk) == [0, 2, 4]
    assert BattleRunner._chunks(comps, 1) == [[1, 3, 0, 2, 4]]
    plain = BattleConfig(models=("a", "b", "c"), symbols=("SPX",), start=START, end=END)
    assert BattleRunner._chunks(plain.competitors(), 2) == [[2], [0, 1]]  # as before


class _Recorder:
    """Stands in for `Memory`: records the times it is asked about."""

    def __init__(self) -> None:
        self.asked: list[datetime] = []

    def recall(self, query: str, **kw: Any) -> list:
        self.asked.append(kw["as_of"])
        return []

    def similar_setups(self, vector: Any, **kw: Any) -> list:
        self.asked.append(kw["as_of"])
        return []


def test_a_competitor_reads_only_what_was_written_before_the_tick() -> None:
    memory = _Recorder()
    scope = TickScope(memory, "battle:b1:shared")  # type: ignore[arg-type]
    tick = datetime(2017, 3, 1, 21, tzinfo=UTC)
    scope.recall("setup", tick)
    scope.similar_setups([0.0], tick)
    assert memory.asked == [tick - timedelta(microseconds=1)] * 2


def test_memory_switched_off_is_a_config_error(tmp_path) -> None:
    settings = Settings(home=tmp_path, memory_backend="off", _env_file=None)
    with pytest.raises(ConfigError, match="memory"):
        BattleMemory(settings, None, config(), "b1")  # type: ignore[arg-type]
    plain = config(models=("rules:supertrend",))
    assert BattleMemory(settings, None, plain, "b1").scope(plain.competitors()[0], 1) is None  # type: ignore[arg-type]


def test_ablation_arms_and_pairs() -> None:
    assert ablation_models(["rules:supertrend", "rules:macd_rsi+memory", "rules:supertrend"]) == (
        "rules:supertrend", "rules:supertrend+memory", "rules:macd_rsi", "rules:macd_rsi+memory",
    )  # fmt: skip
    comps = BattleConfig(
        models=("x+memory", "x", "y", "x", "x+memory", "z+memory"), symbols=("SPX",),
        start=START, end=END,
    ).competitors()  # fmt: skip
    pairs = [(a.name, b.name) for a, b in memory_pairs(comps)]
    assert pairs == [("x", "x+memory"), ("x#2", "x+memory#2")]
