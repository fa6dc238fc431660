"""`tradepit battle` (run, show, replay, list) and `tradepit demo` through the CLI."""

from __future__ import annotations

import json
import re
import time
import warnings

import pytest
from typer.testing import CliRunner

from tradepit.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path))
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_battle_run_show_replay_list(home):
    result = run(
        "battle", "--models", "rules:supertrend,rules:sma_cross", "--symbols", "SPX,MSFT",
        "--start", "2017-09-25", "--end", "2017-10-13", "--commission-bps", "5",
        "--run-id", "cli1", "--report", str(home / "r.html"), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    board = json.loads(result.stdout)
    [sample] = board["samples"]
    assert sample["ticks"] == 15 and len(sample["scores"]) == 2
    assert board["report"] and "plotly" in (home / "r.html").read_text()[:5_000_000]
    shown = json.loads(run("battle", "show", "cli1", "--json").stdout)
    assert shown["samples"] == board["samples"]
    cycles = json.loads(
        run("battle", "show", "cli1", "--competitor", "1", "--limit", "3", "--json").stdout
    )["cycles"]
    assert len(cycles) == 3 and cycles[-1]["cycle"] == 14
    assert cycles[0]["decisions"] and cycles[0]["tool_calls"]
    text = run("battle", "show", "cli1", "--competitor", "rules:supertrend").stdout
    assert "cycle 14" in text and "get_signal" in text
    assert "(15 cycle(s) shown)" in " ".join(text.split())
    latest = run("battle", "show", "cli1", "--competitor", "0", "--limit", "3").stdout
    # it said "3 cycle(s) shown", not that 12 earlier cycles were left out
    assert "the latest 3 of 15 cycles shown" in " ".join(latest.split())
    replayed = run("battle", "replay", "cli1", "--json")
    assert replayed.exit_code == 0
    assert json.loads(replayed.stdout)["identical"] is True
    listed = json.loads(run("battle", "list", "--json").stdout)
    assert [b["id"] for b in listed] == ["cli1", "cli1-r1"]


def test_battle_errors_are_one_line(home):
    result = run("battle", "--symbols", "SPX")
    assert result.exit_code == 2 and "--models" in result.output
    result = run("battle", "show", "nope")
    assert result.exit_code == 1 and "no battle 'nope'" in result.output
    result = run("battle", "--models", "rules:nope", "--symbols", "SPX", "--start",
                 "2017-09-25", "--end", "2017-10-13")  # fmt: skip
    assert result.exit_code == 1 and "unknown strategy" in result.output
    day = run("battle", "--models", "rules:supertrend", "--symbols", "SPX", "--start",
              "2016-06-01", "--end", "2016-06-01")  # fmt: skip
    # it said "no ticks between ...", though the day's close is a tick
    assert day.exit_code == 1 and "1 XNYS tick(s) from 2016-06-01" in " ".join(day.output.split())
    assert "needs at least 2" in " ".join(day.output.split())
    one = home / "one.csv"
    one.write_text("Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1.5\n")
    result = run(
        "battle", "--models", "rules:sma_cross", "--symbols", "ONE", "--data", f"ONE={one}"
    )
    message = "".join(result.output.split())  # the console wraps long lines, even mid-path
    assert result.exit_code == 1  # it was: min() arg is an empty sequence
    assert "".join(f"only 1 bar for ONE in {one}; at least 2 bars are needed".split()) in message


def test_a_crypto_pair_from_a_file_trades_around_the_clock_in_fractions(home):
    """BTC/USD from --data was an XNYS stock: weekends skipped, and every order of a coin
    above the cash per order rejected as a fractional quantity (0 trades all battle)."""
    from tests.coin_data import write_coin_csv

    path = home / "btc.csv"
    write_coin_csv(path, days=40, seed=3)
    result = run(
        "battle", "--models", "rules:buy_and_hold", "--symbols", "BTC/USD", "--data",
        f"BTC/USD={path}", "--start", "2021-03-05", "--end", "2021-04-05", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [sample] = json.loads(result.stdout)["samples"]
    assert sample["ticks"] == 33  # every midnight from 03-05 to 04-06 (XNYS: 22 closes)
    [score] = sample["scores"]
    assert score["fills"] > 0


@pytest.mark.slow
def test_demo_battle(home, record_property):
    """Measured, not asserted: the time is in the JUnit properties and the warning summary."""
    started = time.perf_counter()
    result = run("demo", "--json")
    elapsed = time.perf_counter() - started
    record_property("demo_seconds", round(elapsed, 1))
    warnings.warn(f"demo battle took {elapsed:.1f} s in-process (target < 30 s)", stacklevel=1)
    assert result.exit_code == 0, result.output
    board = json.loads(result.stdout)
    [sample] = board["samples"]
    assert len(sample["scores"]) >= 5 and board["symbols"] == ["SPX", "IXIC", "MSFT"]
    assert sample["ticks"] >= 250  # a year of daily bars
    assert all(s["status"] == "ok" and s["cycles"] == sample["ticks"] for s in sample["scores"])
    assert sum(s["trades"] for s in sample["scores"]) > 0
    report = home / "reports" / f"{board['run_id']}.html"
    assert board["report"] == str(report) and report.stat().st_size > 100_000


def test_battle_show_picks_the_sample(home):
    made = run(
        "battle", "--models", "rules:supertrend,rules:sma_cross", "--symbols", "SPX",
        "--start", "2017-09-01", "--end", "2017-10-31", "--windows", "2", "--run-id", "w2",
        "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    first, second = json.loads(made.stdout)["samples"]
    shown = " ".join(run("battle", "show", "w2", "--sample", "2").stdout.split())
    assert f"Battle w2: {second['start'][:10]} .. {second['end'][:10]} (sample 2 of 2)" in shown
    assert first["end"][:10] not in shown
    wrong = run("battle", "show", "w2", "--sample", "5")
    assert wrong.exit_code == 2 and "battle w2 has 2 sample(s)" in wrong.stderr


def test_battle_show_refuses_a_limit_below_1_and_a_cycle_it_lacks(home):
    made = run(
        "battle", "--models", "rules:supertrend", "--symbols", "SPX", "--start", "2017-09-25",
        "--end", "2017-10-13", "--run-id", "lim", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    for limit in ("0", "-1"):
        wrong = run("battle", "show", "lim", "--competitor", "0", "--limit", limit)
        said = " ".join(wrong.stderr.split())
        assert wrong.exit_code == 2 and "--limit" in said and "greater than or equal to 1" in said
    missing = run("battle", "show", "lim", "--competitor", "0", "--cycle", "999")
    assert missing.exit_code == 2
    expected = "--cycle 999: rules:supertrend in battle lim has cycles 0 to 14"
    assert expected in " ".join(missing.stderr.split())
    one = json.loads(run("battle", "show", "lim", "--competitor", "0", "--cycle", "3", "--json")
                     .stdout)["cycles"]  # fmt: skip
    assert [c["cycle"] for c in one] == [3]


def test_an_interrupted_battle_is_shown_and_refused_as_incomplete(home):
    import threading

    from tests.integration.battle.models import small_config

    from tradepit.battle import run_battle
    from tradepit.battle.stop import BattleInterrupted
    from tradepit.bootstrap import open_store
    from tradepit.config import Settings

    stop = threading.Event()
    store = open_store(Settings())
    try:
        with pytest.raises(BattleInterrupted):
            run_battle(
                small_config(), store, run_id="cut", stop=stop,
                on_tick=lambda p: p.tick == 5 and stop.set(),
            )  # fmt: skip
    finally:
        store.close()
    shown = " ".join(run("battle", "show", "cut").stdout.split())
    assert "Battle cut (aborted, incomplete): 2017-09-25 .. 2017-10-02 " in shown
    assert "6 of 15 ticks (planned to 2017-10-13)" in shown
    board = json.loads(run("battle", "show", "cut", "--json").stdout)
    assert board["status"] == "aborted" and board["complete"] is False
    assert board["samples"][0]["ticks_recorded"] == 6
    assert board["samples"][0]["last_tick"].startswith("2017-10-02")
    cycles = run("battle", "show", "cut", "--competitor", "0").stdout
    assert "in battle cut, aborted, sample 1 (6 cycle(s) shown)" in " ".join(cycles.split())
    again = run(
        "battle", "--models", "rules:supertrend", "--symbols", "SPX", "--start", "2017-09-25",
        "--end", "2017-10-13", "--run-id", "cut",
    )  # fmt: skip
    said = " ".join(again.stderr.split())
    assert again.exit_code == 1
    assert "battle 'cut' exists and is incomplete (aborted, 6 of 15 ticks recorded" in said
    assert "cannot be resumed" in said and "tradepit battle show cut" in said


def test_battle_show_prints_fill_prices_to_their_tick(home):
    made = run(
        "battle", "--models", "rules:buy_and_hold", "--symbols", "SPX,MSFT", "--start",
        "2017-09-25", "--end", "2017-10-13", "--slippage-bps", "3", "--run-id", "px", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    text = run("battle", "show", "px", "--competitor", "0", "--limit", "15").stdout
    fills = [line.strip() for line in text.splitlines() if line.strip().startswith("fill ")]
    assert len(fills) == 3, text  # two entries with slippage, a take-profit
    assert all(re.fullmatch(r"fill (buy|sell) \S+ \w+ @ \d+\.\d\d", f) for f in fills), fills


def test_an_interrupt_at_once_is_one_line_and_exit_130(home, monkeypatch):
    """What a second Ctrl-C does (KeyboardInterrupt in the middle of the battle)."""
    from tradepit.battle.runner import BattleRunner

    real = BattleRunner._report

    def interrupted(self, sample, n, *args):
        real(self, sample, n, *args)
        if n == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(BattleRunner, "_report", interrupted)
    result = run(
        "battle", "--models", "rules:supertrend", "--symbols", "SPX", "--start", "2017-09-25",
        "--end", "2017-10-13", "--run-id", "k", "--json",
    )  # fmt: skip
    assert result.exit_code == 130 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "stopped: battle k stopped after 3 of 15 ticks (last 2017-09-27 20:00Z); recorded as "
        "aborted (incomplete); see it with: tradepit battle show k"
    ]


def test_blind_names_of_every_sample_are_shown(home):
    """The names change per sample; only sample 1's were in the report, and `show` gave
    none, so decisions of later samples could not be read back."""
    from tradepit.battle.records import load_battle
    from tradepit.storage import Store

    result = run(
        "battle", "--models", "rules:supertrend", "--symbols", "SPX,MSFT", "--start",
        "2017-06-01", "--end", "2017-10-31", "--blind", "--windows", "2", "--run-id", "bl",
        "--report", str(home / "bl.html"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Store.from_url(f"sqlite:///{home / 'tradepit.db'}") as store:
        record = load_battle(store, "bl")
    second = dict(record.samples[1].blinding.aliases)
    shown = json.loads(run("battle", "show", "bl", "--competitor", "0", "--sample", "2",
                           "--json").stdout)  # fmt: skip
    assert shown["blind_names"] == {alias: real for real, alias in second.items()}
    text = " ".join(
        run("battle", "show", "bl", "--competitor", "0", "--sample", "2").stdout.split()
    )
    assert "blind names in sample 2:" in text
    page = (home / "bl.html").read_text()
    assert "Blind names (sample 1)" in page and "Blind names (sample 2)" in page
