"""Live battles with `--alpaca-accounts`: each competitor on its own (fake) Alpaca paper
account, one loopback server telling the accounts apart by their keys, the test's clock
advanced by the injected wait. Orders go to the competitor's own account only, fills come
from that account, the scored equity is that account's, an outage of one account fails
only that competitor's cycle, and no secret reaches the store or the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.integration.alpaca.fake_alpaca import FakeAlpaca, Fault
from tests.integration.alpaca.fake_alpaca_accounts import FakeAlpacaAccounts
from tests.integration.alpaca.fake_alpaca_data import FakeAlpacaData

from tradepit.battle import BattleConfig
from tradepit.battle.leaderboard import build_leaderboard
from tradepit.battle.live import live_runner
from tradepit.bootstrap_live import open_market
from tradepit.broker.reconcile import reconcile
from tradepit.clock import ReplayClock
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError
from tradepit.storage import Store

BEFORE_OPEN = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
ACCOUNT_1 = "a1b2c3d4-0000-4000-8000-00000000aaa1"
ACCOUNT_2 = "a1b2c3d4-0000-4000-8000-00000000aaa2"
KEYS = {1: ("PK-ONE", "sk-one-TOPSECRET-1"), 2: ("PK-TWO", "sk-two-TOPSECRET-2")}
SECRETS = ("TOPSECRET", "PK-ONE", "PK-TWO")


@pytest.fixture
def clock() -> ReplayClock:
    return ReplayClock(BEFORE_OPEN)


@pytest.fixture
def server(clock: ReplayClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlpacaAccounts]:
    fake = FakeAlpacaAccounts(FakeAlpacaData(clock.now, "2024-03-05", ("MSFT", "AAPL"))).start()
    fake.data_keys.add(("data-key", "data-secret"))
    for n, account_id in ((1, ACCOUNT_1), (2, ACCOUNT_2)):
        account = fake.add(*KEYS[n], account_id)
        account.account.update(
            equity="100000", cash="100000", last_equity="100000", portfolio_value="100000",
            long_market_value="0",
        )  # fmt: skip
    env = {
        "ALPACA_API_KEY": "data-key", "ALPACA_SECRET_KEY": "data-secret",
        "ALPACA_BASE_URL": fake.url, "ALPACA_DATA_URL": fake.url,
        "TRADEPIT_ALPACA_MAX_ATTEMPTS": "1", "TRADEPIT_ALPACA_TIMEOUT_S": "5",
    }  # fmt: skip
    for n, (key, secret) in KEYS.items():
        env[f"TRADEPIT_BATTLE_ALPACA_{n}_API_KEY"] = key
        env[f"TRADEPIT_BATTLE_ALPACA_{n}_SECRET_KEY"] = secret
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield fake
    fake.stop()


def _account(server: FakeAlpacaAccounts, n: int) -> FakeAlpaca:
    return server.accounts[KEYS[n]]


def _config(clock: ReplayClock, **kw: Any) -> BattleConfig:
    base = dict(
        models=("rules:buy_and_hold", "rules:buy_and_hold"), symbols=("MSFT",),
        start=clock.now(), end=datetime(2024, 3, 5, 16, 0, tzinfo=UTC), cadence="30m",
        concurrency="sequential",
    )  # fmt: skip
    return BattleConfig(**(base | kw))


def _runner(config: BattleConfig, store: Store, clock: ReplayClock, run_id: str, **kw: Any):
    def wait(seconds: float) -> bool:  # the test's "real" time passes instantly
        clock.advance_to(clock.now() + timedelta(seconds=seconds))
        return False

    home = Path(str(store.engine.url.database)).parent
    settings = Settings(home=home, broker="paper", data="alpaca", memory_backend="off")
    return live_runner(
        config, store, run_id, market_data=open_market(clock), clock=clock, wait=wait,
        settings=settings, alpaca_accounts=True, **kw,
    )  # fmt: skip


def _fill_and_revalue(server: FakeAlpacaAccounts, equity: dict[int, str]):
    """After each tick: fill every open order of each account 5 s later and set the
    account's equity (what Alpaca would report)."""

    def on_tick(p: Any) -> None:
        at = (pd.Timestamp(p.time) + pd.Timedelta(seconds=5)).isoformat()
        for n, value in equity.items():
            account = _account(server, n)
            for order in list(account.orders.values()):
                if order["status"] == "accepted":
                    account.fill(order["id"], "401.25" if n == 1 else "399.75", at)
            account.account["equity"] = value

    return on_tick


def test_each_competitor_trades_and_is_scored_on_its_own_alpaca_account(
    server: FakeAlpacaAccounts, store: Store, clock: ReplayClock, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    caplog.set_level(logging.DEBUG)
    on_tick = _fill_and_revalue(server, {1: "100250", 2: "99900"})
    runner = _runner(_config(clock), store, clock, "ab1", on_tick=on_tick)
    runner.run()
    assert clock.now() == datetime(2024, 3, 5, 16, 0, tzinfo=UTC)  # 15:00, 15:30, 16:00
    one, two = _account(server, 1), _account(server, 2)

    # orders: each competitor's only to its own account, ids from (run, cycle, symbol, leg)
    assert [o["client_order_id"] for o in one.submitted] == ["ab1.s1.c0-0-MSFT-buy"]
    assert [o["client_order_id"] for o in two.submitted] == ["ab1.s1.c1-0-MSFT-buy"]
    assert one.count("POST /v2/orders") == two.count("POST /v2/orders") == 1
    assert not server.unauthorized

    # scoring: the equity is each account's, the fills are each account's own
    board = build_leaderboard(store, "ab1")
    [sample] = board.samples
    scores = {s.index: s for s in sample.scores}
    assert (scores[0].end_equity, scores[1].end_equity) == (100250.0, 99900.0)
    assert (scores[0].failures, scores[1].failures) == (0, 0)
    assert [s.index for s in sample.scores] == [0, 1]  # ranked by that equity
    for index, account in ((0, one), (1, two)):
        series = store.list_fills(f"paper-ab1.s1.c{index}")
        assert [f.id for f in series] == [a["id"] for a in account.activities]
        assert scores[index].fills == 1
    [fill_one] = store.list_fills(f"alpaca-paper-{ACCOUNT_1}")  # the account's ledger too
    assert fill_one.client_order_id == "ab1.s1.c0-0-MSFT-buy" and fill_one.price == 401.25
    [fill_two] = store.list_fills(f"alpaca-paper-{ACCOUNT_2}")
    assert fill_two.client_order_id == "ab1.s1.c1-0-MSFT-buy" and fill_two.price == 399.75
    curve = [float(p.equity) for p in store.equity_curve("paper-ab1.s1.c0")]
    assert curve == [100000.0, 100250.0, 100250.0]
    ledger = store.load_ledger(f"alpaca-paper-{ACCOUNT_2}")
    assert ledger is not None and [p.symbol for p in ledger.positions] == ["MSFT"]
    recorded = store.get_run("ab1").config["samples"][0]["alpaca_accounts"]
    assert recorded == {"0": f"alpaca-paper-{ACCOUNT_1}", "1": f"alpaca-paper-{ACCOUNT_2}"}
    # the store followed each account: reconciling again finds nothing unexplained
    for account in runner.accounts.values():
        again = reconcile(account.broker, store, account.ledger_id, clock)
        assert again.clean and not again.new_fills

    # no secret anywhere: logs, the database files
    for secret in SECRETS:
        assert secret not in caplog.text
    for path in tmp_path.iterdir():
        if path.name.startswith("battle.db"):
            data = path.read_bytes()
            assert all(secret.encode() not in data for secret in SECRETS), path.name


def test_an_outage_of_one_account_fails_that_competitors_cycle_only(
    server: FakeAlpacaAccounts, store: Store, clock: ReplayClock
):
    one, two = _account(server, 1), _account(server, 2)
    fill_and_revalue = _fill_and_revalue(server, {1: "100100", 2: "100200"})
    seen: list[Any] = []

    def on_tick(p: Any) -> None:
        fill_and_revalue(p)
        seen.append((p, len(one.requests)))
        if p.tick == 1:  # account 1 fails the last account read of the last tick: after
            # the cycle (ticks 1 and 2 ask the same; a status-less Fault passes through)
            asked = one.requests[seen[0][1] : seen[1][1]].count("GET /v2/account")
            one.fail("GET /v2/account", *[Fault()] * (asked - 1), Fault(status=503))

    config = _config(clock, concurrency="threads")  # each competitor in a thread
    runner = _runner(config, store, clock, "ab2", on_tick=on_tick)
    # the first read of fills is at the second tick (15:30): account 2 is down then
    two.fail("GET /v2/account/activities/FILL", Fault(status=503))
    runner.run()
    board = build_leaderboard(store, "ab2")
    scores = {s.index: s for s in board.samples[0].scores}
    assert [(s.failures, s.status, s.cycles) for s in scores.values()] == [
        (1, "failing", 3), (1, "failing", 3)
    ]  # fmt: skip
    assert [r.failures for r in seen[-1][0].standings] == [1, 1]  # the live table too
    aborted = {
        c: [d for d in store.list_decisions(f"ab2.s1.c{c}") if d.decision.action == "abort"]
        for c in (0, 1)
    }
    assert [d.decision.cycle for d in aborted[0]] == [2]  # after the cycle: account unread
    assert [d.decision.cycle for d in aborted[1]] == [1]  # before the cycle: fills unread
    for [d] in aborted.values():
        assert d.payload["outage"] is True
        assert d.payload["outcome"]["error_type"] == "AmbiguousRequestError"
    # no equity made up for a tick whose account could not be read
    ticks = {c: [p.timestamp.hour * 60 + p.timestamp.minute
                 for p in store.equity_curve(f"paper-ab2.s1.c{c}")] for c in (0, 1)}  # fmt: skip
    assert ticks == {0: [900, 930], 1: [900, 960]}
    # account 2's fill arrives one tick later; the scores are the last equity read
    assert scores[1].fills == 1 and scores[1].end_equity == 100200.0
    assert scores[0].fills == 1 and scores[0].end_equity == 100100.0
    assert one.count("POST /v2/orders") == two.count("POST /v2/orders") == 1  # never twice


def test_accounts_are_checked_before_the_battle_starts(
    server: FakeAlpacaAccounts, store: Store, clock: ReplayClock,
    monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    config = _config(clock)
    # the same account behind both key pairs: their positions would net
    server.add("PK-THREE", "sk-three-TOPSECRET-3", "", same_as=_account(server, 1))
    monkeypatch.setenv("TRADEPIT_BATTLE_ALPACA_2_API_KEY", "PK-THREE")
    monkeypatch.setenv("TRADEPIT_BATTLE_ALPACA_2_SECRET_KEY", "sk-three-TOPSECRET-3")
    with pytest.raises(ConfigError, match=r"competitors 1 .* and 2 .* same Alpaca account") as e:
        _runner(config, store, clock, "bad1")
    assert ACCOUNT_1 in str(e.value) and "TOPSECRET" not in str(e.value)

    # keys Alpaca refuses: named by their variables, never by their values
    monkeypatch.setenv("TRADEPIT_BATTLE_ALPACA_2_SECRET_KEY", "sk-wrong-TOPSECRET-9")
    with pytest.raises(ConfigError, match="TRADEPIT_BATTLE_ALPACA_2_API_KEY") as e:
        _runner(config, store, clock, "bad2")
    assert "TOPSECRET" not in str(e.value) and "PK-THREE" not in str(e.value)

    # an account whose equity is not the battle's capital
    monkeypatch.setenv("TRADEPIT_BATTLE_ALPACA_2_SECRET_KEY", KEYS[2][1])
    monkeypatch.setenv("TRADEPIT_BATTLE_ALPACA_2_API_KEY", KEYS[2][0])
    _account(server, 2).account["equity"] = "50000"
    with pytest.raises(ConfigError, match=r"competitor 2 .* 50,000.00 .* --capital"):
        _runner(config, store, clock, "bad3")
    assert store.get_run("bad1") is None and store.get_run("bad3") is None
    assert _account(server, 1).count("POST /v2/orders") == 0
