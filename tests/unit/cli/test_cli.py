"""CLI happy paths and bad input: clear one-line errors, non-zero exit, no traceback."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from tradepit.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_data_list_shows_bundled_series():
    result = run("data", "list", "--json")
    assert result.exit_code == 0
    symbols = {s["symbol"] for s in json.loads(result.stdout)}
    assert {"SPX", "IXIC", "MSFT"} <= symbols


def test_data_show_prints_latest_bar():
    result = run("data", "show", "SPX", "--tail", "3")
    assert result.exit_code == 0
    assert "2018-12-31" in result.stdout


def test_backtest_json_has_the_documented_fields():
    result = run(
        "backtest",
        "--strategy",
        "sma_cross",
        "--symbol",
        "SPX",
        "--start",
        "2010-01-01",
        "--end",
        "2014-12-31",
        "--param",
        "fast=20",
        "--param",
        "slow=50",
        "--json",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    for key in (
        "return_pct",
        "trades",
        "sharpe",
        "sortino",
        "max_drawdown_pct",
        "win_rate",
        "profit_factor",
        "trade_list",
    ):
        assert key in payload
    assert payload["trades"] == len(payload["trade_list"]) > 0
    first = payload["trade_list"][0]
    assert set(first) >= {
        "entry_time",
        "exit_time",
        "side",
        "qty",
        "entry_price",
        "exit_price",
        "pnl",
    }
    assert first["entry_time"] >= "2010-01-01"
    assert payload["params"] == {"fast": 20, "slow": 50, "allow_short": True}


def test_backtest_on_user_csv(tmp_path):
    idx = pd.date_range("2021-01-01", periods=300, freq="D")
    close = pd.Series(range(300), index=idx, dtype=float).map(lambda i: 100 + 10 * ((i // 30) % 2))
    close = close + pd.Series(range(300), index=idx) * 0.01
    frame = pd.DataFrame(
        {
            "Date": idx,
            "Open": close,
            "High": close + 1,
            "Low": close - 1,
            "Close": close,
            "Volume": 1000,
        }
    )
    path = tmp_path / "acme.csv"
    frame.to_csv(path, index=False)
    result = run("backtest", "--strategy", "buy_and_hold", "--data", str(path), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["symbol"] == "ACME"
    assert payload["trades"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "nope", "--symbol", "SPX"], "unknown strategy"),
        (["--strategy", "sma_cross", "--symbol", "ZZZZ"], "unknown symbol"),
        (["--strategy", "sma_cross", "--symbol", "SPX", "--start", "yesterday-ish"], "not a date"),
        (
            [
                "--strategy",
                "sma_cross",
                "--symbol",
                "SPX",
                "--start",
                "2015-01-01",
                "--end",
                "2014-01-01",
            ],
            "after --end",
        ),
        (["--strategy", "sma_cross", "--symbol", "SPX", "--start", "2030-01-01"], "no bars"),
        (["--strategy", "sma_cross", "--symbol", "SPX", "--param", "fast=abc"], "bad parameters"),
        (["--strategy", "sma_cross"], "exactly one of --symbol or --data"),
        (["--strategy", "buy_and_hold", "--symbol", "AAPL"], "AAPL is close-only"),
        (["--strategy", "sma_cross", "--symbol", "SPX", "--cash", "-5"], "--cash must be above 0"),
    ],
)
def test_backtest_bad_input_is_one_clear_line(args, message):
    result = runner.invoke(app, ["backtest", *args])
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert "errors.pydantic.dev" not in result.stderr and len(result.stderr.splitlines()) <= 3


def test_indicators_and_data_show_check_their_options():
    bad_date = runner.invoke(app, ["indicators", "SPX", "--at", "notadate"])
    assert bad_date.exit_code == 2 and "--at 'notadate' is not a date" in bad_date.stderr
    close_only = runner.invoke(app, ["indicators", "AAPL"])
    assert close_only.exit_code == 1 and "AAPL is close-only" in close_only.stderr
    assert runner.invoke(app, ["data", "show", "SPX", "--tail", "-3"]).exit_code == 2


def test_an_unwritable_report_path_is_one_clear_line(tmp_path):
    (tmp_path / "a-file").write_text("")
    report = tmp_path / "a-file" / "report.html"  # under a file: no directory can be made
    args = ["--strategy", "sma_cross", "--symbol", "SPX", "--start", "2018-01-01"]
    result = runner.invoke(app, ["backtest", *args, "--report", str(report)])
    assert result.exit_code == 1
    assert "a-file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--calendar", "XXXX"], 2, "unknown exchange calendar 'XXXX'"),
        (["--model", "bogus"], 1, "unknown model 'bogus'"),
    ],
)
def test_run_refuses_a_bad_calendar_or_model_before_it_starts(
    tmp_path, monkeypatch, args, code, message
):
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRADEPIT_MEMORY_BACKEND", "off")
    result = runner.invoke(app, ["run", "--symbols", "SPX", "--once", *args])
    assert result.exit_code == code
    assert message in result.stderr and "Traceback" not in result.stderr
    assert "cycle" not in result.stdout  # nothing ran


def test_backtest_malformed_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Date,Open,High,Low\n2020-01-01,1,2,0.5\n")
    result = runner.invoke(app, ["backtest", "--strategy", "sma_cross", "--data", str(path)])
    assert result.exit_code == 1
    assert "close" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_backtest_on_a_one_bar_file_says_two_bars_are_needed(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1.5\n")
    result = runner.invoke(app, ["backtest", "--strategy", "sma_cross", "--data", str(path)])
    assert result.exit_code != 0 and "Traceback" not in result.stderr
    message = "".join(result.stderr.split())  # the console wraps long lines, even mid-path
    assert "".join(f"only 1 bar for ONE in {path}; at least 2 bars are needed".split()) in message


def test_indicators_at_a_date_uses_no_later_bar():
    result = run("indicators", "SPX", "--at", "2015-06-30", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["at"] == "2015-06-30"
    assert 0 < payload["rsi_14"] < 100
    assert "note" not in result.stderr
    weekend = run("indicators", "SPX", "--at", "2015-06-28", "--json")
    assert json.loads(weekend.stdout)["at"] == "2015-06-26" and "note" not in weekend.stderr


def test_indicators_after_the_data_ends_says_so():
    result = run("indicators", "SPX", "--at", "2030-01-01", "--json")
    assert json.loads(result.stdout)["at"] == "2018-12-31"
    assert "note: the data of SPX ends on 2018-12-31" in result.stderr


def test_strategies_lists_all():
    result = run("strategies")
    assert result.exit_code == 0
    for name in (
        "sma_cross",
        "supertrend",
        "macd_rsi",
        "rsi_divergence",
        "ema_rsi",
        "macd_cross",
        "buy_and_hold",
        "ensemble",
    ):
        assert name in result.stdout


def test_backtest_on_hourly_bars_runs_at_their_timeframe(tmp_path):
    import numpy as np
    import pandas as pd

    from tradepit.market.timeframe import annualisation_factor

    when = pd.date_range("2020-01-01", periods=600, freq="h")
    close = 100 + np.cumsum(np.random.default_rng(1).normal(0, 0.5, len(when)))
    frame = pd.DataFrame({"Datetime": when, "Open": close, "High": close + 0.5,
                          "Low": close - 0.5, "Close": close, "Volume": 1000})  # fmt: skip
    path = tmp_path / "hourly.csv"
    frame.to_csv(path, index=False)
    result = run("backtest", "--strategy", "sma_cross", "--data", str(path), "--json")
    assert result.exit_code == 0, result.output  # it failed: "clock cannot go back"
    out = json.loads(result.stdout)
    # round-the-clock hours (Sundays too) are 24/7 data: not 600 trading days
    years = len(when) / annualisation_factor("24/7", "1Hour")
    growth = out["end_equity"] / out["start_equity"]
    assert out["cagr_pct"] == pytest.approx(100 * (growth ** (1 / years) - 1), rel=0.02)


def test_backtest_on_data_that_trades_sundays_is_24_7_and_fractional(tmp_path):
    """Crypto data was an XNYS stock: annualised over 252 days and in whole units, so a
    coin above the cash could never be bought. `--calendar` says otherwise."""
    from tests.coin_data import write_coin_csv

    path = tmp_path / "btc.csv"
    when = write_coin_csv(path, days=120, seed=2)
    coin = json.loads(run("backtest", "--strategy", "buy_and_hold", "--data", str(path),
                          "--json").stdout)  # fmt: skip
    assert coin["trades"] == 1
    growth = coin["end_equity"] / coin["start_equity"]
    years = (len(when) - 1) / 365
    assert coin["cagr_pct"] == pytest.approx(100 * (growth ** (1 / years) - 1), rel=0.05)
    stock = run("backtest", "--strategy", "buy_and_hold", "--data", str(path), "--calendar",
                "XNYS", "--json")  # fmt: skip
    assert json.loads(stock.stdout)["trades"] == 0  # 10,000 cash buys no whole 40,000 unit


def test_user_assets_are_crypto_by_name_or_sunday_sessions():
    from tradepit.domain.models import AssetClass
    from tradepit.market.user_assets import user_asset

    def frame(index) -> pd.DataFrame:
        return pd.DataFrame({"close": 1.0}, index=pd.DatetimeIndex(index, tz="UTC"))

    weekdays = frame(pd.bdate_range("2024-01-01", periods=30))
    every_day = frame(pd.date_range("2024-01-01", periods=30, freq="D"))
    # a stock's after-hours reach Saturday 00:30 UTC; futures open Sunday 22:00 UTC
    late = frame(["2024-01-05 21:00", "2024-01-06 00:30", "2024-01-07 22:00", "2024-01-08"])
    assert user_asset("ACME", weekdays).calendar == "XNYS"
    assert user_asset("ACME", late).calendar == "XNYS"
    coin = user_asset("ACME", every_day)
    assert (coin.calendar, coin.asset_class, coin.fractionable) == ("24/7", AssetClass.CRYPTO, True)
    assert user_asset("BTC/USD", weekdays).calendar == "24/7"
    assert user_asset("ACME", every_day, "XNYS").calendar == "XNYS"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["optimize", "--cash", "0"], "--cash must be above 0, not 0"),
        (["walkforward", "--step", "0"], "Invalid value for '--step'"),
    ],
)
def test_tuning_sizes_below_their_minimum_are_refused_by_name(args, message):
    command, *rest = args
    result = runner.invoke(app, [command, "--strategy", "sma_cross", "--symbol", "SPX", *rest])
    assert result.exit_code == 2 and message in result.stderr


def test_account_commands_show_a_held_account_read_only(tmp_path, monkeypatch):
    """`positions` works while a chat or a run holds the account (its lease), because the
    commands' broker cannot save: there is nothing for it to overwrite."""
    from tradepit.bootstrap import open_app
    from tradepit.cli_broker import open_broker
    from tradepit.config import Settings
    from tradepit.domain.errors import StoreError

    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRADEPIT_MEMORY_BACKEND", "off")
    monkeypatch.setenv("TRADEPIT_ACCOUNT_LOCK_TIMEOUT_S", "0")
    with open_app(Settings()) as held:
        held.service.chat("t", "buy 3 MSFT")
        result = run("positions", "--json")
        assert [(p["symbol"], p["qty"]) for p in json.loads(result.stdout)] == [("MSFT", "3")]
        with open_broker(Settings()) as broker, pytest.raises(StoreError, match="read-only"):
            broker.save()


def _hourly_csv(path, days: int = 5):
    import numpy as np

    when = pd.date_range("2021-01-01", periods=24 * days, freq="h")
    close = 30_000 + np.cumsum(np.random.default_rng(4).normal(0, 50, len(when)))
    frame = pd.DataFrame({"Datetime": when, "Open": close, "High": close + 30,
                          "Low": close - 30, "Close": close, "Volume": 10})  # fmt: skip
    frame.to_csv(path, index=False)
    return path


def test_a_date_only_end_includes_that_whole_day_of_intraday_bars(tmp_path):
    """--end 2021-01-03 stopped at 00:00 of that day: one bar for a one-day range."""
    from tradepit.cli import _load

    path = _hourly_csv(tmp_path / "coin1h.csv")
    one_day, _ = _load(None, path, "2021-01-03", "2021-01-03")
    assert len(one_day) == 24
    assert (one_day.index[0], one_day.index[-1]) == (
        pd.Timestamp("2021-01-03 00:00", tz="UTC"),
        pd.Timestamp("2021-01-03 23:00", tz="UTC"),
    )
    until_noon, _ = _load(None, path, "2021-01-03", "2021-01-03 12:00")
    assert until_noon.index[-1] == pd.Timestamp("2021-01-03 12:00", tz="UTC")
    result = run("backtest", "--strategy", "buy_and_hold", "--data", str(path),
                 "--start", "2021-01-02", "--end", "2021-01-04", "--json")  # fmt: skip
    assert json.loads(result.stdout)["end"] == "2021-01-04T23:00:00+00:00"


@pytest.mark.parametrize("at", ["2015-06-30T23:59:59-05:00", "2015-06-30 10:00"])
def test_indicators_at_refuses_a_time_of_day(at):
    """The first gave July 1's close (04:59 UTC on July 1 took that day's bar), the second
    June 30's close at 10:00, before it happened. A daily bar is known at its close: --at is
    a day."""
    result = runner.invoke(app, ["indicators", "SPX", "--at", at, "--json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "has a time of day; give the day (YYYY-MM-DD)" in " ".join(result.stderr.split())


@pytest.mark.parametrize("command", ["backtest", "optimize", "walkforward"])
def test_cash_below_one_unit_warns_instead_of_a_silent_zero_trade_run(
    command, tmp_path, monkeypatch
):
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    args = [command, "--strategy", "sma_cross", "--symbol", "SPX", "--start", "2014-01-01"]
    extra = {
        "backtest": [],
        "optimize": ["--trials", "1", "--no-save", "--storage", "sqlite://"],
        "walkforward": ["--trials", "1", "--train", "300", "--test", "100"],
    }[command]
    result = runner.invoke(app, [*args, *extra, "--cash", "10", "--json"])
    warning = " ".join(result.stderr.split())
    assert "warning: --cash 10.00 buys no whole unit of SPX at its first close" in warning
    assert "use --fractional" in warning
    enough = runner.invoke(app, ["backtest", *args[1:], "--cash", "10", "--fractional", "--json"])
    assert enough.exit_code == 0 and "warning" not in enough.stderr
    assert json.loads(enough.stdout)["trades"] > 0


def test_calendar_is_refused_for_a_bundled_symbol():
    """--calendar 24/7 with --symbol SPX was silently ignored."""
    for command in ("backtest", "optimize", "walkforward"):
        args = [command, "--strategy", "sma_cross", "--symbol", "SPX", "--calendar", "24/7"]
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "--calendar is for --data files: bundled SPX trades on XNYS" in result.stderr
