"""`tradepit optimize` and `tradepit walkforward` (cli_tuning) and `backtest --report`."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from tradepit.backtest.strategy_config import StrategyConfigWatcher, load_strategy_config
from tradepit.cli import app as main_app
from tradepit.cli_tuning import register

runner = CliRunner()
SPX_2010S = ("--symbol", "SPX", "--start", "2010-01-01", "--end", "2014-12-31")


@pytest.fixture
def app() -> typer.Typer:
    tuning = typer.Typer()
    register(tuning)
    return tuning


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_optimize_writes_the_best_params_where_a_watcher_picks_them_up(app, home, tmp_path):
    watcher = StrategyConfigWatcher(home, "sma_cross", "SPX")
    assert watcher.params.fast == 10  # the default before any tuning
    report = tmp_path / "opt.html"
    args = ["optimize", "--strategy", "sma_cross", *SPX_2010S, "--trials", "12"]
    args += ["--objective", "composite", "--min-trades", "3", "--seed", "5"]
    result = runner.invoke(app, [*args, "--json", "--report", str(report)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["study"] == "sma_cross-SPX-composite"
    assert payload["storage"] == f"sqlite:///{home / 'optuna.db'}"
    assert payload["trials_run"] == 12 and payload["best_metrics"]["trades"] >= 3
    saved = load_strategy_config(home, "sma_cross", "SPX")
    assert saved.params == payload["best_params"]
    assert saved.value == pytest.approx(payload["best_value"])
    assert (saved.objective, saved.study) == ("composite", "sma_cross-SPX-composite")
    assert saved.updated_at.tzinfo is not None
    assert watcher.params.model_dump() == payload["best_params"]  # hot reload, same object
    assert report.is_file() and payload["report"] == str(report)
    study = optuna.load_study(study_name=payload["study"], storage=payload["storage"])
    assert len(study.trials) == 12


def test_optimize_prints_a_table_and_can_skip_saving(app, home):
    args = ["optimize", "--strategy", "supertrend", *SPX_2010S, "--trials", "3", "--no-save"]
    result = runner.invoke(app, [*args, "--param", "allow_short=false", "--min-trades", "1"])
    assert result.exit_code == 0, result.output
    assert "best of study" in result.stdout and "param allow_short" in result.stdout
    assert load_strategy_config(home, "supertrend", "SPX") is None


def test_optimize_without_a_counted_trial_fails_clearly(app, home):
    args = ["optimize", "--strategy", "sma_cross", *SPX_2010S, "--trials", "2"]
    result = runner.invoke(app, [*args, "--min-trades", "100000", "--storage", "sqlite://"])
    assert result.exit_code == 1
    assert "min-trades" in result.stderr
    assert load_strategy_config(home, "sma_cross", "SPX") is None


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--objective", "calmar"], 2, "objective must be one of"),
        (["--strategy", "nope"], 1, "unknown strategy"),
        (["--param", "bogus=1"], 1, "no parameter"),
        (["--param", "fast=200"], 1, "bad parameters for sma_cross: fast: Input should be"),
        (["--param", "fast=abc"], 1, "bad parameters for sma_cross: fast: Input should be"),
        (["--strategy", "supertrend", "--param", "multiplier=50"], 1, "multiplier: Input"),
        (["--param", "fast=5", "--param", "slow=20"], 1, "fixed (fast, slow): nothing to tune"),
    ],
)
@pytest.mark.parametrize("command", ["optimize", "walkforward"])
def test_optimize_bad_input_is_one_clear_line(app, home, extra, code, message, command):
    args = [command, "--strategy", "sma_cross", "--symbol", "SPX", "--trials", "1"]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == code
    assert message in " ".join(result.stderr.split()) and "Traceback" not in result.output
    assert "reached" not in result.stderr  # refused before tuning, not after every trial


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["optimize", "--min-trades", "100000", "--storage", "sqlite://"], "error: no trial"),
        (["walkforward", "--train", "5000"], "error: 1258 bars are too few"),
    ],
)
def test_an_error_after_the_progress_bar_has_no_blank_line_before_it(app, home, extra, message):
    command, *rest = extra
    args = [command, "--strategy", "sma_cross", *SPX_2010S, "--trials", "1", *rest]
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and result.stderr.startswith(message)


def test_walkforward_json_and_report(app, home, tmp_path):
    report = tmp_path / "wf.html"
    args = ["walkforward", "--strategy", "sma_cross", *SPX_2010S, "--train", "300"]
    args += ["--test", "200", "--trials", "3", "--min-trades", "1", "--anchored"]
    result = runner.invoke(app, [*args, "--json", "--report", str(report)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["anchored"] is True and len(payload["windows"]) == (1258 - 300) // 200
    assert payload["verdict"] in ("ok", "overfit", "no_edge")
    assert report.is_file()
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "verdict:" in table.stdout


def test_backtest_report_option(tmp_path):
    report = tmp_path / "bt.html"
    args = ["backtest", "--strategy", "sma_cross", *SPX_2010S, "--json", "--report", str(report)]
    result = runner.invoke(main_app, args)
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # stdout stays one JSON document
    assert report.is_file() and "SMA 10" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["backtest", "optimize", "walkforward"])
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--commission", "-0.01", "--commission must be greater than or equal to 0, not -0.01"),
        ("--commission", "nan", "--commission must be a finite number, not nan"),
        ("--commission", "2", "--commission must be less than or equal to 0.1, not 2.0"),
        ("--slippage-bps", "-5", "--slippage-bps must be greater than or equal to 0, not -5.0"),
        ("--slippage-bps", "nan", "--slippage-bps must be a finite number"),
        ("--commission-per-share", "-1", "--commission-per-share must be greater than or equal"),
    ],
)
def test_costs_are_refused_by_option_name_before_anything_runs(
    home, command, option, value, message
):
    """optimize took --commission -0.01, reported +2,850% and saved the params."""
    args = [command, "--strategy", "sma_cross", *SPX_2010S, option, value]
    result = runner.invoke(main_app, [*args, "--trials", "2"] if command != "backtest" else args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split()) and "Traceback" not in result.output
    assert "commission_pct" not in result.stderr and "slippage_bps" not in result.stderr
    assert load_strategy_config(home, "sma_cross", "SPX") is None
    assert not (home / "optuna.db").exists()


def test_tuning_on_crypto_trades_fractions_like_backtest(home, tmp_path):
    """optimize and walkforward traded whole coins (~40,000 each, 10,000 cash): every trial
    0 trades, while backtest traded fractions."""
    from tests.coin_data import write_coin_csv

    path = tmp_path / "coin.csv"
    write_coin_csv(path, days=400, seed=3)
    data = ["--strategy", "sma_cross", "--data", str(path)]
    tuned = runner.invoke(
        main_app, ["optimize", *data, "--trials", "6", "--seed", "1", "--min-trades", "1",
                   "--no-save", "--json"],
    )  # fmt: skip
    assert tuned.exit_code == 0, tuned.output
    best = json.loads(tuned.stdout)
    assert best["best_metrics"]["trades"] >= 1
    params = [f"--param={k}={v}" for k, v in best["best_params"].items()]
    again = runner.invoke(main_app, ["backtest", *data, *params, "--json"])
    assert json.loads(again.stdout)["return_pct"] == pytest.approx(
        best["best_metrics"]["return_pct"]
    )
    walk = runner.invoke(
        main_app, ["walkforward", *data, "--train", "200", "--test", "100", "--trials", "3",
                   "--min-trades", "1", "--json"],
    )  # fmt: skip
    assert walk.exit_code == 0, walk.output
    assert json.loads(walk.stdout)["oos"]["trades"] > 0
    whole = runner.invoke(
        main_app, ["optimize", *data, "--trials", "3", "--min-trades", "1", "--no-save",
                   "--no-fractional", "--storage", "sqlite://"],
    )  # fmt: skip
    assert whole.exit_code == 1 and "reached 1 trades" in " ".join(whole.stderr.split())


def test_backtest_no_fractional_wins_on_crypto(tmp_path):
    """`fractional or asset.fractionable` traded fractions despite --no-fractional."""
    from tests.coin_data import write_coin_csv

    path = tmp_path / "coin.csv"
    write_coin_csv(path, days=120, seed=2)
    args = ["backtest", "--strategy", "buy_and_hold", "--data", str(path), "--json"]
    assert json.loads(runner.invoke(main_app, args).stdout)["trades"] == 1
    whole = runner.invoke(main_app, [*args, "--no-fractional"])
    assert whole.exit_code == 0 and json.loads(whole.stdout)["trades"] == 0


def test_a_symbol_that_cannot_be_saved_is_refused_before_tuning(app, home, tmp_path, monkeypatch):
    """optimize --data 'my prices.csv' tuned every trial, then failed on save."""
    import tradepit.backtest.optimize as tuning

    path = tmp_path / "my prices.csv"
    pd.DataFrame(
        {"Date": pd.bdate_range("2021-01-01", periods=60), "Open": 10.0, "High": 11.0,
         "Low": 9.0, "Close": 10.5, "Volume": 1},
    ).to_csv(path, index=False)  # fmt: skip
    monkeypatch.setattr(tuning, "open_study", lambda *a, **k: pytest.fail("tuning started"))
    args = ["optimize", "--strategy", "sma_cross", "--data", str(path), "--trials", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = " ".join(result.stderr.split())
    assert "symbol 'MY PRICES' cannot be used in a file name: rename the data file or use " \
        "--no-save" in message  # fmt: skip


def test_walkforward_text_shows_windows_that_were_not_tuned(app, home):
    """Only the JSON said `tuned: false`; the table looked tuned."""
    args = ["walkforward", "--strategy", "sma_cross", *SPX_2010S, "--train", "300"]
    args += ["--test", "300", "--trials", "2", "--min-trades", "100000"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    windows = (1258 - 300) // 300
    assert result.stdout.count("not tuned") == windows + 1  # each row, and the summary
    assert f"{windows} of {windows} windows not tuned: no trial reached --min-trades 100000" in (
        " ".join(result.stdout.split())
    )
