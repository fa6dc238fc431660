"""A battle stopped before its last tick: it stops at a tick boundary, is recorded as
aborted (the battle and every competitor run), says how far it got, and is shown, reported
and refused as a run id for what it is: incomplete."""

from __future__ import annotations

import threading

import pytest
from tests.integration.battle.models import small_config

from tradepit.battle import build_leaderboard, run_battle
from tradepit.battle.records import decision_log, load_battle
from tradepit.battle.report import battle_report
from tradepit.battle.stop import BattleInterrupted
from tradepit.domain.errors import ConfigError
from tradepit.storage import RunStatus

COMPETITOR_RUNS = ("halt.s1.c0", "halt.s1.c1", "halt.s1.c2")


def stop_after(ticks: int, stop: threading.Event):
    def on_tick(p):
        if p.tick + 1 == ticks:
            stop.set()

    return on_tick


@pytest.mark.parametrize("concurrency", ["sequential", "processes"])
def test_a_stopped_battle_ends_at_a_tick_boundary_recorded_as_aborted(store, concurrency):
    stop = threading.Event()
    with pytest.raises(
        BattleInterrupted,
        match=r"halt stopped after 5 of 15 ticks \(last 2017-09-29 20:00Z\); recorded as aborted",
    ):
        run_battle(
            small_config(concurrency=concurrency), store, run_id="halt",
            on_tick=stop_after(5, stop), stop=stop,
        )  # fmt: skip
    assert load_battle(store, "halt").run.status is RunStatus.ABORTED
    for run in COMPETITOR_RUNS:
        assert store.get_run(run).status is RunStatus.ABORTED
        assert [e["cycle"] for e in decision_log(store, run)] == [0, 1, 2, 3, 4]
    board = build_leaderboard(store, "halt")
    [sample] = board.samples
    assert not board.complete and sample.recorded.ticks == 5
    assert {s.cycles for s in sample.scores} == {5}
    assert board.label() == "Battle halt (aborted, incomplete)"
    last = f"{sample.recorded.last:%Y-%m-%d %H:%M}Z"
    assert sample.window() == f"2017-09-25 .. {last}, 5 of 15 ticks (planned to 2017-10-13)"
    shown = board.to_dict()
    assert shown["status"] == "aborted" and shown["complete"] is False
    assert shown["samples"][0]["ticks_recorded"] == 5 and shown["samples"][0]["ticks"] == 15


def test_an_incomplete_battle_is_said_so_in_the_report(store, tmp_path):
    stop = threading.Event()
    with pytest.raises(BattleInterrupted):
        run_battle(small_config(), store, run_id="halt", on_tick=stop_after(3, stop), stop=stop)
    html = battle_report(store, build_leaderboard(store, "halt"), tmp_path / "r.html").read_text()
    assert "Battle halt (aborted, incomplete)" in html
    assert "Incomplete: this battle is aborted" in html and "3 of 15 ticks" in html


def test_a_complete_battle_says_nothing_of_the_kind(store):
    board = run_battle(small_config(), store, run_id="whole")
    assert board.complete and board.to_dict()["complete"] is True
    assert board.label() == "Battle whole"
    assert board.samples[0].window() == "2017-09-25 .. 2017-10-13"


def test_a_stop_before_the_first_tick_records_no_tick(store):
    stop = threading.Event()
    stop.set()
    with pytest.raises(BattleInterrupted, match="stopped before the first of 15 ticks"):
        run_battle(small_config(), store, run_id="halt", stop=stop)
    board = build_leaderboard(store, "halt")
    assert board.samples[0].window().startswith("no tick recorded")


def test_an_interrupted_battle_is_aborted_and_says_how_far_it_got(store):
    def interrupt(p):
        if p.tick == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        run_battle(small_config(), store, run_id="halt", on_tick=interrupt)
    assert caught.value.__notes__ == [
        "battle halt stopped after 3 of 15 ticks (last "
        f"{build_leaderboard(store, 'halt').samples[0].recorded.last:%Y-%m-%d %H:%M}Z); "
        "recorded as aborted (incomplete)"
    ]
    assert load_battle(store, "halt").run.status is RunStatus.ABORTED
    assert {store.get_run(r).status for r in COMPETITOR_RUNS} == {RunStatus.ABORTED}


def test_a_failed_battle_marks_its_competitor_runs_failed_too(store):
    def broken(p):
        if p.tick == 1:
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        run_battle(small_config(), store, run_id="halt", on_tick=broken)
    assert load_battle(store, "halt").run.status is RunStatus.FAILED
    assert {store.get_run(r).status for r in COMPETITOR_RUNS} == {RunStatus.FAILED}


def test_the_id_of_an_incomplete_battle_is_refused_saying_why(store):
    stop = threading.Event()
    with pytest.raises(BattleInterrupted):
        run_battle(small_config(), store, run_id="halt", on_tick=stop_after(4, stop), stop=stop)
    with pytest.raises(ConfigError) as refused:
        run_battle(small_config(), store, run_id="halt")
    message = str(refused.value)
    assert (
        "battle 'halt' exists and is incomplete (aborted, 4 of 15 ticks recorded (last" in message
    )
    assert "cannot be resumed" in message and "tradepit battle show halt" in message
    assert "another --run-id" in message
