"""`tradepit ask`, `run`, `halt` and `resume` through Typer, offline, in a temporary home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tradepit.bootstrap import bundled_source
from tradepit.cli_agent import register

runner = CliRunner()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRADEPIT_MODEL", raising=False)
    app = typer.Typer()
    register(app)

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_ask_rsi_and_an_order(cli):
    rsi = cli("ask", "what is the RSI of SPX")
    assert rsi.exit_code == 0 and "SPX" in rsi.stdout and "rsi_14" in rsi.stdout
    order = cli("ask", "buy 10 MSFT with a 2% stop", "--json")
    assert order.exit_code == 0
    reply = json.loads(order.stdout)
    assert reply["status"] == "answered" and reply["actions"] == {"MSFT": "buy"}
    assert "filled 10 at 83.87" in reply["text"] and "stop 82.19" in reply["text"]
    # MSFT's data ends 2017-11-10, before the chat's clock: the fill price is that old
    assert "the last MSFT price is from 2017-11-10, 416 days before now" in reply["text"]


def test_close_a_position_bought_in_an_earlier_invocation(cli):
    """The close fills at once (chat) without exit legs; it is saved with its fill in the
    SQLite store (a fill whose order was not saved broke its foreign key: StoreError)."""
    assert cli("ask", "buy 10 MSFT with a 2% stop").exit_code == 0
    closed = cli("ask", "close MSFT", "--json")
    reply = json.loads(closed.stdout)
    assert reply["status"] == "answered" and reply["actions"] == {"MSFT": "close"}
    assert "sell 10 MSFT market" in reply["text"] and "filled 10 at" in reply["text"]
    assert "the last MSFT price is from 2017-11-10" in reply["text"]  # a close says so too
    assert "StoreError" not in closed.stdout + closed.stderr
    positions = cli("ask", "positions").stdout
    assert "MSFT" not in positions and "No open positions" in positions


def test_an_order_at_a_current_price_has_no_stale_note(cli):
    reply = json.loads(cli("ask", "buy 1 SPX", "--yes", "--json").stdout)
    assert "filled 1 at" in reply["text"] and "price is from" not in reply["text"]


def test_a_marketable_limit_keeps_its_position(cli):
    """A buy limit above the market fills at the market (83.87): its stop is set below that
    fill, not 2% below the limit (88.20), which would have sold the position at once."""
    bought = json.loads(cli("ask", "buy 5 MSFT at limit 90", "--json").stdout)
    assert "filled 5 at 83.87" in bought["text"] and "stop 82.19" in bought["text"]
    positions = cli("ask", "positions").stdout
    assert "MSFT 5 @ 83.87" in positions


def test_big_order_waits_for_approval_across_invocations(cli):
    first = cli("ask", "buy 100 MSFT")
    assert first.exit_code == 0 and "tradepit ask --approve" in first.stderr
    pending = cli("ask", "--reject")
    assert pending.exit_code == 0 and "rejected" in pending.stdout
    assert cli("ask", "buy 100 MSFT").exit_code == 0
    approved = cli("ask", "--approve", "--json")
    assert json.loads(approved.stdout)["actions"] == {"MSFT": "buy"}
    assert cli("ask", "--approve").exit_code == 1  # nothing left to approve


def test_the_approval_hint_keeps_the_model(cli):
    """`--approve` without `--model` went on with the default model."""
    first = cli("ask", "buy 100 MSFT", "--model", "rules:macd_rsi")
    assert "tradepit ask --approve --session cli --model rules:macd_rsi" in first.stderr


def test_a_refused_order_is_not_marked_ok():
    from tradepit.cli_agent import _mark

    assert "denied_by_risk" in _mark({"ok": True, "output": {"outcome": "denied_by_risk"}})
    assert "filled" in _mark({"ok": True, "output": {"outcome": "filled"}})
    assert "ok" in _mark({"ok": True, "output": {"price": 1.0}})
    assert "UnknownSymbolError" in _mark({"ok": False, "error_type": "UnknownSymbolError"})


def test_approve_and_reject_together_send_nothing(cli):
    waiting = json.loads(cli("ask", "buy 20 MSFT", "--json").stdout)
    assert waiting["status"] == "awaiting_approval", waiting
    both = cli("ask", "--approve", "--reject")
    assert both.exit_code == 2 and "not both" in both.stderr
    with_text = cli("ask", "--approve", "buy 1 MSFT")
    assert with_text.exit_code == 2 and "no message" in with_text.stderr
    rejected = json.loads(cli("ask", "--reject", "--json").stdout)
    assert rejected["actions"] == {"MSFT": "rejected_by_user"}  # it was still pending


def test_halt_and_resume(cli):
    assert cli("halt", "--reason", "test").exit_code == 0
    denied = json.loads(cli("ask", "buy 10 MSFT", "--json").stdout)
    assert denied["actions"] == {"MSFT": "denied"} and "halted" in denied["text"]
    assert cli("resume").exit_code == 0
    allowed = json.loads(cli("ask", "buy 10 MSFT", "--json").stdout)
    assert allowed["actions"] == {"MSFT": "buy"}


def test_halt_one_run_needs_a_run_that_exists(cli):
    typo = cli("halt", "--run-id", "nope")
    assert typo.exit_code == 1 and "no run 'nope' (recent runs: none yet)" in typo.stderr
    ran = cli("run", "--model", "rules:supertrend", "--symbols", "SPX", "--once")
    run_id = ran.stdout.split("run ", 1)[1].split(":", 1)[0]
    halted = cli("halt", "--run-id", run_id)
    assert halted.exit_code == 0 and f"trading halted ({run_id})" in halted.stdout
    everywhere = cli("resume")  # lifts the global switch only: the run's own stays on
    assert "trading active (global)" in everywhere.stdout
    note = " ".join(everywhere.stderr.split())  # rich wraps long lines
    assert f"still halted: {run_id} (tradepit resume --run-id {run_id})" in note
    lifted = cli("resume", "--run-id", run_id)
    assert lifted.exit_code == 0 and "still halted" not in lifted.stderr
    cli("halt")
    one = cli("resume", "--run-id", run_id)  # the global switch still holds it
    assert "still halted: everywhere (tradepit resume)" in one.stderr


def test_run_once_then_the_next_cycle(cli):
    """A replay cycles once per daily bar by default: the last session has one tick."""
    first = cli("run", "--model", "rules:supertrend", "--symbols", "SPX", "--once")
    assert first.exit_code == 0, first.stdout
    assert "cycle 0 2018-12-31 21:00Z" in first.stdout and "SPX-1Day-" in first.stdout
    assert "status completed" in first.stdout and "note:" not in first.stderr
    again = cli("run", "--model", "rules:supertrend", "--symbols", "SPX", "--once")
    assert "0 cycle(s) this time, status completed" in again.stdout


def test_run_intraday_on_daily_bars_says_so(cli):
    args = ("run", "--model", "rules:supertrend", "--symbols", "SPX", "--interval", "15m")
    first = cli(*args, "--once")
    assert first.exit_code == 0, first.stdout
    assert "cycle 0 2018-12-31 14:45Z" in first.stdout and "status running" in first.stdout
    assert "the bundled bars are daily" in first.stderr
    second = cli(*args, "--once")
    assert "cycle 1 2018-12-31 15:00Z" in second.stdout


def test_a_replay_past_the_data_says_where_it_stops(cli):
    """MSFT's data ends 2017-11-10: the run stopped there without a word."""
    result = cli("run", "--symbols", "MSFT", "--start", "2017-11-08", "--end", "2018-01-10")
    assert result.exit_code == 0
    assert "the data of MSFT ends 2017-11-10;" in result.stderr and "stops there" in result.stderr


def test_a_replay_past_one_symbols_data_names_only_that_symbol(cli):
    """It read "the data of MSFT, SPX ends 2017-11-10": SPX's runs to 2018-12-31."""
    args = ("run", "--symbols", "MSFT,SPX", "--start", "2017-11-06", "--end", "2017-11-30")
    result = cli(*args)
    assert result.exit_code == 0
    assert "the data of MSFT ends 2017-11-10;" in result.stderr


def test_run_refuses_an_interval_longer_than_a_day(cli):
    """--interval 1w ran one cycle per session, as 1d does, without a word."""
    result = cli("run", "--symbols", "SPX", "--start", "2016-01-04", "--interval", "1w")
    assert result.exit_code != 0 and "at most 1d" in result.output


def test_run_bad_input_is_one_clear_line(cli):
    bad = cli("run", "--symbols", "SPX", "--interval", "15x")
    assert bad.exit_code == 2 and "unknown timeframe unit" in bad.stderr
    early = cli("run", "--symbols", "MSFT", "--start", "2018-06-01")
    assert early.exit_code == 1 and "covers" in early.stderr
    holiday = cli("run", "--symbols", "SPX", "--start", "2018-07-04", "--end", "2018-07-04")
    assert holiday.exit_code == 1
    assert "no XNYS session from 2018-07-04 to 2018-07-04" in holiday.stderr
    backwards = cli("run", "--symbols", "SPX", "--start", "2016-02-01", "--end", "2016-01-01")
    assert backwards.exit_code == 1  # it named 2016-01-02, the day after the end given
    assert "end 2016-01-01 is before start 2016-02-01" in backwards.stderr
    close_only = cli("run", "--symbols", "SPX,AAPL", "--once")
    assert close_only.exit_code == 1 and "AAPL is close-only" in close_only.stderr
    assert cli("ask").exit_code == 2


def test_live_settings_refuse_replay_options_and_contradictions(cli, monkeypatch):
    monkeypatch.setenv("TRADEPIT_BROKER", "alpaca")
    replay_only = cli("run", "--start", "2018-01-02")
    assert replay_only.exit_code == 2 and "a live run starts now" in replay_only.stderr
    monkeypatch.setenv("TRADEPIT_DATA", "bundled")
    history = cli("run", "--once")
    assert history.exit_code != 0 and "needs live data" in history.stderr
    monkeypatch.delenv("TRADEPIT_DATA")
    monkeypatch.delenv("ALPACA_API_KEY", raising=False)
    no_keys = cli("ask", "how is my portfolio")
    assert no_keys.exit_code != 0 and "ALPACA_API_KEY" in no_keys.stderr


def test_broker_commands_show_a_runs_paper_account(tmp_path, monkeypatch):
    from tradepit.cli_broker import register as register_broker

    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    app = typer.Typer()
    register(app)
    register_broker(app)

    def cli(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    ran = cli("run", "--model", "rules:supertrend", "--symbols", "SPX", "--start", "2018-11-01")
    assert ran.exit_code == 0, ran.stdout
    run_id = ran.stdout.split("run ", 1)[1].split(":", 1)[0]
    equity = ran.stdout.split("equity ", 1)[1].split(" ", 1)[0].replace(",", "")
    account = json.loads(cli("account", "--run", run_id, "--json").stdout)
    assert account["id"] == f"paper-{run_id}"
    assert round(float(account["equity"]), 2) == float(equity)  # the last marks were saved
    held = json.loads(cli("positions", "--run", run_id, "--json").stdout)
    last_close = bundled_source().frame("SPX")["close"].iloc[-1]
    assert held and all(float(p["market_price"]) == pytest.approx(last_close) for p in held)
    orders = json.loads(cli("orders", "--run", run_id, "--status", "all", "--json").stdout)
    assert orders and {o["status"] for o in orders} & {"filled"}
    assert cli("orders", "--status", "all").stdout.strip() == "No orders."  # the chat's
    unknown = cli("positions", "--run", "nope")
    assert unknown.exit_code == 1 and f"no agent run 'nope' (see: {run_id})" in unknown.stderr
    # a web chat trades its own account (chat-<thread id>); the CLI could not show it
    monkeypatch.setenv("TRADEPIT_ACCOUNT_ID", "chat-t1")
    assert cli("ask", "buy 5 MSFT").exit_code == 0
    monkeypatch.delenv("TRADEPIT_ACCOUNT_ID")
    chat = json.loads(cli("positions", "--run", "chat-t1", "--json").stdout)
    assert [(p["symbol"], float(p["qty"])) for p in chat] == [("MSFT", 5.0)]
    assert cli("positions", "--run", "chat-none").exit_code == 1


def test_the_kill_switch_does_not_load_the_agent(tmp_path):
    """`halt` took 10-13 s (17 s during a replay) importing the whole agent for a constant;
    it needs the store alone. Checked in a fresh interpreter: this one has it all loaded."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from tradepit.cli import app\n"
        "result = CliRunner().invoke(app, ['halt'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m.startswith(('tradepit.agent', 'langgraph'))))\n"
    )
    env = {**os.environ, "TRADEPIT_HOME": str(tmp_path / "home")}
    env.pop("TRADEPIT_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
