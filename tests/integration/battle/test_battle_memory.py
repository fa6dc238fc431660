"""Memory in battles end to end: who gets memory and tools, whose memory it is, nothing read
from the tick or after it, blind names only, replay to the identical leaderboard with the
memory rebuilt, and the memory ablation through the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest
from tests.integration.battle.models import END, START, Scripted, small_config
from typer.testing import CliRunner

from tradepit.agent.backends import make_backend
from tradepit.battle import replay_battle, run_battle
from tradepit.battle.competitor import BATTLE_TOOLS, MEMORY_TOOLS
from tradepit.battle.records import decision_log
from tradepit.config import Settings
from tradepit.memory.journal import listing, namespaces
from tradepit.memory.models import Entry, Kind
from tradepit.storage import Store

HORIZON = timedelta(days=7)


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    home = tmp_path_factory.mktemp("home")
    return Settings(home=home, memory_backend="ephemeral", _env_file=None)


def entries(store: Store, namespace: str, kinds: list[Kind] | None = None) -> list[Entry]:
    with store.read() as session:
        return listing(session, namespace, kinds, limit=None)


def spaces(store: Store) -> dict[str, int]:
    with store.read() as session:
        return dict(namespaces(session))


@pytest.fixture(scope="module")
def battle(tmp_path_factory, settings) -> Iterator[tuple[Store, Any, dict[int, set[str]]]]:
    """rules:supertrend and rules:supertrend+memory over 20 sessions; the tools each saw."""
    store = Store.from_url(f"sqlite:///{tmp_path_factory.mktemp('db') / 'battle.db'}")
    store.migrate()
    offered: dict[int, set[str]] = {}

    def backends(competitor, sample):
        backend = make_backend(competitor.backend)
        complete = backend.complete

        def spy(messages, tools):
            offered.setdefault(competitor.index, set()).update(t["function"]["name"] for t in tools)
            return complete(messages, tools)

        backend.complete = spy
        return backend

    config = small_config(
        models=("rules:supertrend", "rules:supertrend+memory"), start=START - HORIZON
    )
    board = run_battle(config, store, run_id="mem", settings=settings, backends=backends)
    yield store, board, offered
    store.close()


def test_a_memory_competitor_gets_the_recall_tools_and_its_own_namespace(battle):
    store, board, offered = battle
    assert offered[0] == set(BATTLE_TOOLS)  # no memory, no memory tools
    assert offered[1] == set(BATTLE_TOOLS) | set(MEMORY_TOOLS)
    assert list(spaces(store)) == ["battle:mem:c1"]
    [sample] = board.samples
    decisions = entries(store, "battle:mem:c1", [Kind.DECISION])
    assert len(decisions) == 2 * sample.ticks  # one per symbol and tick, journalled
    assert {e.run_id for e in decisions} == {"mem.s1.c1"}
    assert any(e.outcome is not None for e in decisions)  # outcomes resolved on the clock
    assert entries(store, "battle:mem:c1", [Kind.LESSON])
    log = decision_log(store, "mem.s1.c1")
    assert log[0]["model_calls"][0]["model"] == "rules:supertrend+recall"
    assert all(any(t["name"] == "recall" for t in e["tool_calls"]) for e in log)
    plain = decision_log(store, "mem.s1.c0")
    assert not any(t["name"] in MEMORY_TOOLS for e in plain for t in e["tool_calls"])


def test_nothing_is_recalled_from_the_tick_or_after_it(battle):
    store, _, _ = battle
    used = 0
    for cycle in decision_log(store, "mem.s1.c1"):
        now = pd.Timestamp(cycle["time"])
        for call in cycle["tool_calls"]:
            if call["name"] != "recall":
                continue
            result = call["result"]
            assert all(pd.Timestamp(m["time"]) < now for m in result["memories"])
            setups = result.get("setups") or {}
            for setup in setups.get("nearest") or ():
                assert pd.Timestamp(setup["time"]) + HORIZON <= now  # outcome known by now
            used += int(setups.get("n") or 0)
    assert used > 0  # the memory was consulted and had something to say


def test_replay_reaches_the_identical_leaderboard_with_the_memory_rebuilt(battle, settings):
    store, _, _ = battle
    result = replay_battle(store, "mem", settings=settings)
    assert result.identical, result.differences
    assert set(spaces(store)) == {"battle:mem:c1", "battle:mem-r1:c1"}

    def content(namespace: str) -> list[tuple]:
        return sorted(
            (e.kind, e.symbol, e.created_at, e.action, e.text, e.outcome)
            for e in entries(store, namespace)
        )

    assert content("battle:mem-r1:c1") == content("battle:mem:c1")


def _writer(symbols: tuple[str, ...], n: int) -> list[tuple[str, dict[str, Any]]]:
    return [("remember", {"text": f"writer note {n}: {symbols[0]} looked strong"})]


def _reader(symbols: tuple[str, ...], n: int) -> list[tuple[str, dict[str, Any]]]:
    return [("recall", {"query": "writer note looked strong", "k": 10})]


def _notes_seen(store: Store, run: str) -> list[tuple[int, set[int]]]:
    """Per reader cycle: the numbers of the writer's notes it recalled."""
    out = []
    for cycle in decision_log(store, run):
        seen = set()
        for call in cycle["tool_calls"]:
            for m in (call["result"] or {}).get("memories", ()):
                found = re.match(r"writer note (\d+)", m["text"])
                if found:
                    seen.add(int(found.group(1)))
        out.append((cycle["cycle"], seen))
    return out


@pytest.mark.parametrize("shared", [False, True])
def test_memories_are_private_unless_shared(store, settings, shared):
    models = {"writer+memory": lambda: Scripted("writer", _writer),
              "reader+memory": lambda: Scripted("reader", _reader)}  # fmt: skip
    config = small_config(
        models=tuple(models), symbols=("SPX",), end=START + timedelta(days=10),
        shared_memory=shared,
    )  # fmt: skip
    run_id = "shr" if shared else "priv"
    board = run_battle(
        config, store, run_id=run_id, settings=settings,
        backends=lambda c, s: models[c.model](),
    )  # fmt: skip
    ticks = board.samples[0].ticks
    seen = _notes_seen(store, f"{run_id}.s1.c1")
    assert len(seen) == ticks >= 5
    if not shared:
        assert set(spaces(store)) == {f"battle:{run_id}:c0", f"battle:{run_id}:c1"}
        notes = entries(store, f"battle:{run_id}:c0", [Kind.NOTE])
        assert len(notes) == ticks  # the writer kept them, in its own memory
        assert all(not numbers for _, numbers in seen)
        return
    assert set(spaces(store)) == {f"battle:{run_id}:shared"}
    for cycle, numbers in seen:
        assert numbers == set(range(cycle))  # everything written before this tick, no more


def test_a_blind_battle_writes_only_blind_names_to_memory(store, settings):
    config = small_config(models=("rules:supertrend+memory",), blind=True)
    run_battle(config, store, run_id="blind", settings=settings)
    [namespace] = spaces(store)
    assert namespace == "battle:blind:c0"
    written = entries(store, namespace)
    assert written
    real = re.compile(r"SPX|MSFT")
    for e in written:
        dump = e.model_dump_json()
        assert not real.search(dump), dump
        assert e.symbol is None or e.symbol.startswith("ASSET-")
        assert e.created_at.year >= 2100  # blind dates


def test_with_memory_the_outcome_still_does_not_depend_on_concurrency(store, settings):
    models = ("rules:supertrend", "rules:supertrend+memory", "rules:macd_rsi+memory")
    scores = {}
    for mode in ("sequential", "processes"):
        config = small_config(
            models=models, end=START + timedelta(days=10), concurrency=mode, shared_memory=True
        )
        board = run_battle(config, store, run_id=f"cc-{mode}", settings=settings)
        scores[mode] = board.samples[0].scores
    assert scores["sequential"] == scores["processes"]
    assert set(spaces(store)) == {"battle:cc-sequential:shared", "battle:cc-processes:shared"}


def test_memory_ablation_through_the_cli(tmp_path, monkeypatch):
    from tradepit.cli import app

    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path))
    monkeypatch.setenv("TRADEPIT_MEMORY_BACKEND", "ephemeral")
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["battle", "--models", "rules:supertrend", "--memory-ablation", "--symbols", "SPX",
         "--start", (START - timedelta(days=14)).date().isoformat(),
         "--end", (END - timedelta(days=1)).date().isoformat(), "--windows", "2",
         "--run-id", "abl", "--report", str(tmp_path / "r.html"), "--json"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    board = json.loads(result.stdout)
    assert board["models"] == ["rules:supertrend", "rules:supertrend+memory"]
    [report] = board["memory_ablation"]
    assert report["model"] == "rules:supertrend"
    assert [u["unit"] for u in report["units"]] == ["s1", "s2"]
    for unit in report["units"]:
        assert unit["with"]["model"] == "rules:supertrend+memory"
        assert unit["difference"]["return_pct"] == pytest.approx(
            unit["with"]["return_pct"] - unit["without"]["return_pct"]
        )
    for metric in ("return_pct", "sharpe", "max_drawdown_pct"):
        d = report["differences"][metric]
        assert d["n"] == 2 and d["low"] <= d["mean"] <= d["high"]
        assert d["significant"] == (d["low"] > 0 or d["high"] < 0)
    assert "Memory ablation" in (tmp_path / "r.html").read_text()
    shown = runner.invoke(app, ["battle", "show", "abl"], catch_exceptions=False).stdout
    assert "Memory ablation, rules:supertrend" in shown and "mean difference (n=2)" in shown
