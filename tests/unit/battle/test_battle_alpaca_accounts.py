"""`--alpaca-accounts`: keys per competitor from TRADEPIT_BATTLE_ALPACA_<n>_*, paper only,
missing keys named by their variables and never their values (no network: nothing here
gets as far as opening a broker), and how one account's fills are read tick by tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from tradepit.battle import BattleConfig
from tradepit.battle.alpaca_accounts import (
    AccountFills,
    AccountKeys,
    key_names,
    open_accounts,
    read_keys,
)
from tradepit.cli import app
from tradepit.clock import ReplayClock, SystemClock
from tradepit.config import LIVE_TRADING_URL, AlpacaSettings
from tradepit.domain.errors import BrokerUnavailableError, ConfigError
from tradepit.domain.models import Fill, Order, OrderStatus, OrderType, Side, TimeInForce

NOW = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
SECRET = "sk-do-not-show-1234"


def _competitors():
    config = BattleConfig(
        models=("rules:buy_and_hold", "rules:sma_cross"), symbols=("MSFT",), start=NOW,
        end=NOW + timedelta(days=1),
    )  # fmt: skip
    return config.competitors()


def _no_broker(settings: AlpacaSettings, n: int):
    pytest.fail("no broker may be opened when the configuration is wrong")


def _keys(table: dict[int, tuple[str, str]]):
    def read(n: int) -> AccountKeys:
        key, secret = table.get(n, ("", ""))
        return AccountKeys.model_construct(api_key=SecretStr(key), secret_key=SecretStr(secret))

    return read


def _open(keys, settings: AlpacaSettings | None = None):
    no_store: Any = None  # nothing may be written either
    return open_accounts(
        _competitors(), no_store, ReplayClock(NOW), 100_000.0,
        settings=settings or AlpacaSettings(base_url="http://127.0.0.1:9"),
        keys=keys, brokers=_no_broker,
    )  # fmt: skip


def test_keys_are_read_per_competitor_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("TRADEPIT_BATTLE_ALPACA_2_API_KEY", "PK-TWO")
    monkeypatch.setenv("TRADEPIT_BATTLE_ALPACA_2_SECRET_KEY", SECRET)
    two, one = read_keys(2), read_keys(1)
    assert (two.api_key.get_secret_value(), two.secret_key.get_secret_value()) == (
        "PK-TWO",
        SECRET,
    )
    assert one.api_key.get_secret_value() == "" and SECRET not in repr(two)
    assert key_names(2) == (
        "TRADEPIT_BATTLE_ALPACA_2_API_KEY",
        "TRADEPIT_BATTLE_ALPACA_2_SECRET_KEY",
    )


def test_missing_keys_are_named_by_their_variables_never_their_values():
    keys = _keys({1: ("PK-ONE", SECRET), 2: ("PK-TWO", "")})
    with pytest.raises(ConfigError) as e:
        _open(keys)
    message = str(e.value)
    assert "TRADEPIT_BATTLE_ALPACA_2_SECRET_KEY" in message
    assert "TRADEPIT_BATTLE_ALPACA_2_API_KEY" not in message  # that one is set
    assert "TRADEPIT_BATTLE_ALPACA_1_" not in message
    assert all(value not in message for value in (SECRET, "PK-ONE", "PK-TWO"))
    with pytest.raises(ConfigError, match="_1_API_KEY, TRADEPIT_BATTLE_ALPACA_1_SECRET_KEY"):
        _open(_keys({}))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (AlpacaSettings(base_url=LIVE_TRADING_URL), "ALPACA_BASE_URL points at the live API"),
        (AlpacaSettings(base_url="http://127.0.0.1:9", live=True), "TRADEPIT_ALPACA_LIVE"),
        (AlpacaSettings(base_url=LIVE_TRADING_URL, live=True), "paper only"),
    ],
)
def test_battles_on_alpaca_are_paper_only(settings: AlpacaSettings, message: str):
    keys = _keys({1: ("PK-ONE", SECRET), 2: ("PK-TWO", SECRET)})
    with pytest.raises(ConfigError, match=message) as e:
        _open(keys, settings)
    assert "paper only" in str(e.value) and SECRET not in str(e.value)


def test_cli_refuses_alpaca_accounts_without_live_and_without_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRADEPIT_HOME", str(tmp_path))
    monkeypatch.delenv("TRADEPIT_DATABASE_URL", raising=False)
    for n in (1, 2):
        for name in key_names(n):
            monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    models = ["--models", "rules:buy_and_hold,rules:sma_cross", "--symbols", "MSFT"]
    result = runner.invoke(app, ["battle", *models, "--alpaca-accounts"])
    assert result.exit_code == 2 and "needs --live" in result.output

    monkeypatch.setenv("TRADEPIT_DATA", "alpaca")
    monkeypatch.setenv("ALPACA_API_KEY", "data-key")
    monkeypatch.setenv("ALPACA_SECRET_KEY", SECRET)
    monkeypatch.setenv("ALPACA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ALPACA_DATA_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TRADEPIT_BATTLE_ALPACA_1_API_KEY", "PK-ONE")
    monkeypatch.setenv("TRADEPIT_BATTLE_ALPACA_1_SECRET_KEY", SECRET)
    end = (SystemClock().now() + timedelta(days=10)).date().isoformat()
    result = runner.invoke(
        app, ["battle", *models, "--live", "--end", end, "--alpaca-accounts", "--json"]
    )
    assert result.exit_code == 1, result.output
    assert "TRADEPIT_BATTLE_ALPACA_2_API_KEY" in result.output
    assert SECRET not in result.output and "PK-ONE" not in result.output


class StubBroker:
    """Fills and orders of one account; `down` makes the fills read fail."""

    def __init__(self, fills: list[Fill], orders: dict[str, Order]) -> None:
        self.fills, self.orders = fills, orders
        self.down = False
        self.asked: list[str] = []

    def get_fills(self, since: datetime | None = None) -> list[Fill]:
        if self.down:
            raise BrokerUnavailableError("list fills: cannot connect to Alpaca")
        return [f for f in self.fills if since is None or f.timestamp >= since]

    def get_order(self, order_id: str) -> Order:
        self.asked.append(order_id)
        return self.orders[order_id]


def _order(order_id: str, legs: tuple[Order, ...] = ()) -> Order:
    return Order(
        id=order_id, client_order_id=f"cid-{order_id}", symbol="MSFT", side=Side.BUY,
        qty=Decimal(1), type=OrderType.MARKET, time_in_force=TimeInForce.DAY,
        status=OrderStatus.FILLED, created_at=NOW, updated_at=NOW, legs=legs,
    )  # fmt: skip


def _fill(fill_id: str, order_id: str, at: datetime) -> Fill:
    return Fill(
        id=fill_id, order_id=order_id, client_order_id=f"cid-{order_id}", symbol="MSFT",
        side=Side.BUY, qty=Decimal(1), price=Decimal(100), timestamp=at,
    )  # fmt: skip


def test_account_fills_are_read_tick_by_tick_and_kept_until_taken():
    t = [pd.Timestamp(NOW + timedelta(minutes=30 * k)) for k in range(4)]
    stop = _order("stop")
    parent = _order("entry", legs=(stop.model_copy(update={"parent_id": "entry"}),))
    early = _fill("f1", "entry", (t[0] + pd.Timedelta(seconds=5)).to_pydatetime())
    late = _fill("f2", "stop", (t[1] + pd.Timedelta(seconds=5)).to_pydatetime())
    broker = StubBroker([early, late], {"entry": parent, "stop": stop})
    fills = AccountFills(broker)
    assert fills.collect(t[0]) == []  # the first tick: the battle starts there
    broker.down = True
    with pytest.raises(BrokerUnavailableError):
        fills.collect(t[1])
    assert fills.previous == t[0] and fills.take() == ([], ())  # the window stays
    broker.down = False
    assert fills.collect(t[1]) == [early]  # `late` is after this tick: next time
    assert fills.take() == ([early], (parent,))
    assert fills.collect(t[2]) == [late]
    # a leg's fill brings its parent (the leg is saved inside it)
    assert broker.asked == ["entry", "entry"]
    fills.collect(t[3])
    assert fills.take() == ([late], (parent,))
