"""`tradepit account / positions / orders` on the paper broker and on Alpaca (recorded)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from tradepit.cli_broker import register


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()
    register(cli)

    @cli.command()
    def version() -> None:  # a second command keeps typer in multi-command mode
        """Unused."""

    return cli


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path / "home"))
    for name in ("TRADEPIT_BROKER", "TRADEPIT_DATABASE_URL", "TRADEPIT_ALPACA_LIVE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_paper_account_is_persisted_under_home(app, env, tmp_path):
    result = CliRunner().invoke(app, ["account", "--json"])
    assert result.exit_code == 0, result.output
    account = json.loads(result.stdout)
    assert account["id"] == "paper-default" and account["cash"] == "100000.0"
    assert (tmp_path / "home" / "tradepit.db").exists()
    empty = CliRunner().invoke(app, ["orders", "--status", "all", "--json"])
    assert json.loads(empty.stdout) == []
    assert CliRunner().invoke(app, ["positions"]).stdout.strip() == "No open positions."


def test_alpaca_account_positions_orders(app, env, cassette):
    env.setenv("TRADEPIT_BROKER", "alpaca")
    env.setenv("ALPACA_API_KEY", "test-key")
    env.setenv("ALPACA_SECRET_KEY", "test-secret")
    runner = CliRunner()
    with cassette("broker_account"):
        account = runner.invoke(app, ["account", "--json"])
        positions = runner.invoke(app, ["positions", "--json"])
    with cassette("broker_orders_advanced"):
        orders = runner.invoke(app, ["orders", "--json"])
    with cassette("broker_orders_advanced"):
        table = runner.invoke(app, ["orders"])
    assert account.exit_code == 0, account.output
    assert json.loads(account.stdout)["equity"] == "101873.46"
    held = [p["symbol"] for p in json.loads(positions.stdout)]
    assert held == ["AAPL", "TSLA", "SPY251121P00550000"]
    listed = [o["client_order_id"] for o in json.loads(orders.stdout)]
    assert listed[:2] == ["run1-c5-AAPL-0", "run1-c4-MSFT-0"] and len(listed) == 4
    assert table.exit_code == 0 and "Orders (open)" in table.stdout and "MSFT" in table.stdout


def test_alpaca_live_without_confirmation_is_refused(app, env):
    env.setenv("TRADEPIT_BROKER", "alpaca")
    env.setenv("ALPACA_API_KEY", "k")
    env.setenv("ALPACA_SECRET_KEY", "s")
    env.setenv("ALPACA_BASE_URL", "https://api.alpaca.markets")
    env.setenv("TRADEPIT_ALPACA_LIVE", "true")
    result = CliRunner().invoke(app, ["account"])
    assert result.exit_code == 1
    assert "not confirmed" in result.output and "run again with --confirm-live" in result.output
    assert "confirm_live=True" not in result.output  # what the code takes, not the command


def test_bad_status_is_a_usage_error(app, env):
    result = CliRunner().invoke(app, ["orders", "--status", "pending"])
    assert result.exit_code == 2


def test_money_that_rounds_to_nothing_is_not_negative() -> None:
    from decimal import Decimal

    from tradepit.cli_broker import _money

    assert _money(Decimal("-0.004")) == "0.00" and _money(Decimal("-0E-7")) == "0.00"
    assert _money(Decimal("-1234.5")) == "-1,234.50"
