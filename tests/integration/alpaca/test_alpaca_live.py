"""TRADEPIT_BROKER=alpaca and TRADEPIT_DATA=alpaca end to end, against the fake Alpaca
server on loopback (trading and data API): chat on the Alpaca account, reconciliation
before anything trades, the live loop on the (test's) real clock with market hours, fills
and restarts, the paper broker on a live feed, and a data outage that aborts a cycle and
alerts instead of trading on anything made up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.integration.alpaca.fake_alpaca import FakeAlpaca, Fault, position_json
from tests.integration.alpaca.fake_alpaca_data import FakeAlpacaData

from tradepit.agent.fills import BarFills, BrokerFills
from tradepit.agent.loop import LoopPlan, RunLoop
from tradepit.agent.schedule import LivePacer
from tradepit.bootstrap import App, open_app
from tradepit.bootstrap_live import LIVE_FILL_TIMEFRAME
from tradepit.broker.reconcile import ReconciliationError
from tradepit.clock import ReplayClock
from tradepit.config import Settings
from tradepit.domain.errors import ConfigError
from tradepit.integrations.hub import NotificationHub, Route
from tradepit.integrations.run_events import RunNotifier

BEFORE_OPEN = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)  # 9:00 New York, opens 14:30 UTC


class Recorder:
    """A notification target that keeps what it was sent."""

    name = "recorder"

    def __init__(self) -> None:
        self.events: list[Any] = []

    def send(self, event: Any) -> None:
        self.events.append(event)

    def close(self) -> None:
        return None

    def kinds(self) -> list[str]:
        return [getattr(e, "alert", e.kind) for e in self.events]


@pytest.fixture
def clock() -> ReplayClock:
    return ReplayClock(BEFORE_OPEN)


@pytest.fixture
def alpaca(
    fake: FakeAlpaca, clock: ReplayClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeAlpaca]:
    fake.data = FakeAlpacaData(clock.now, "2024-03-05", ("MSFT", "AAPL"))
    for name, value in {
        "ALPACA_API_KEY": "test-key", "ALPACA_SECRET_KEY": "test-secret",
        "ALPACA_BASE_URL": fake.url, "ALPACA_DATA_URL": fake.url,
        "TRADEPIT_ALPACA_MAX_ATTEMPTS": "1", "TRADEPIT_ALPACA_TIMEOUT_S": "5",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    yield fake


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    base = dict(home=tmp_path, broker="alpaca", memory_backend="off", approval_notional=500.0)
    return Settings(**(base | kw))


def _open(tmp_path: Path, clock: ReplayClock, recorder: Recorder, **kw: Any) -> Any:
    model = kw.pop("model", "rules:supertrend")
    symbols = kw.pop("symbols", ())
    hub = NotificationHub([Route(recorder)])
    return open_app(_settings(tmp_path, **kw), model=model, clock=clock, symbols=symbols, hub=hub)


def _loop(app: App, plan: LoopPlan, clock: ReplayClock, fills: Any, observers=(), on_cycle=None):
    stop = threading.Event()

    def wait(seconds: float) -> bool:  # the test's "real" time passes instantly
        clock.advance_to(clock.now() + timedelta(seconds=seconds))
        return stop.is_set()

    pacer = LivePacer(clock, stop, wait=wait)
    return RunLoop(
        plan, app.service, app.clock, app.feed, app.broker, app.store, stop, on_cycle,
        pacer=pacer, fills=fills, account_id=app.account_id, observers=observers,
    )  # fmt: skip


def _plan(model: str, **kw: Any) -> LoopPlan:
    base = dict(
        run_id="live1", model=model, symbols=("MSFT",), interval="15Min",
        start=BEFORE_OPEN, end=None, live=True,
    )  # fmt: skip
    return LoopPlan(**(base | kw))


def test_chat_reads_and_trades_the_alpaca_account(
    tmp_path: Path, alpaca: FakeAlpaca, clock: ReplayClock, recorder: Recorder
):
    with _open(tmp_path, clock, recorder) as app:
        assert app.live and app.account_id.startswith("alpaca-paper-")
        portfolio = app.service.chat("s1", "how is my portfolio doing")
        assert "101,000" in portfolio.text  # the Alpaca account's equity
        asked = app.service.chat("s1", "buy 10 MSFT with a 2% stop")
        assert asked.status == "awaiting_approval"
        assert alpaca.count("POST /v2/orders") == 0  # nothing before a person approves
        done = app.service.resolve("s1", True, by="test")
    orders = list(alpaca.orders.values())
    assert len(orders) == 1 and alpaca.count("POST /v2/orders") == 1
    assert (orders[0]["symbol"], orders[0]["side"], float(orders[0]["qty"])) == ("MSFT", "buy", 10)
    assert orders[0]["client_order_id"].startswith("chat-s1")
    [body] = alpaca.submitted  # the 2 % stop went with the order, as Alpaca's OTO leg
    last = float(alpaca.data.daily["MSFT"][-1]["c"])
    assert body["order_class"] in ("oto", "bracket")
    assert float(body["stop_loss"]["stop_price"]) == pytest.approx(last * 0.98, rel=0.01)
    assert "accepted" in done.text.lower() or "submitted" in done.text.lower()


def test_reconciliation_adopts_what_changed_while_down(
    tmp_path: Path, alpaca: FakeAlpaca, clock: ReplayClock, recorder: Recorder
):
    alpaca.positions.append(position_json("AAPL", "10", "180", "185"))
    with _open(tmp_path, clock, recorder) as app:
        ledger = app.store.load_ledger(app.account_id)
        assert ledger is not None
        assert {p.symbol: p.qty for p in ledger.positions} == {"AAPL": 10}
        reply = app.service.chat("s1", "show my positions")
        assert "AAPL" in reply.text


def test_a_failed_reconciliation_stops_before_anything_trades(
    tmp_path: Path, alpaca: FakeAlpaca, clock: ReplayClock, recorder: Recorder
):
    alpaca.fail("GET /v2/account/activities/FILL", Fault(status=500))
    with pytest.raises(ReconciliationError), _open(tmp_path, clock, recorder):
        pytest.fail("the app must not open")
    assert recorder.kinds() == ["reconciliation_failure"]
    assert alpaca.count("POST /v2/orders") == 0


def test_live_loop_waits_for_market_hours_trades_once_and_resumes(
    tmp_path: Path, alpaca: FakeAlpaca, clock: ReplayClock, recorder: Recorder
):
    def fill_open_orders(n: int, when: pd.Timestamp, reply: Any) -> None:
        for order in list(alpaca.orders.values()):
            if order["status"] == "accepted":
                alpaca.fill(order["id"], "100.5", (when + pd.Timedelta(seconds=5)).isoformat())

    with _open(tmp_path, clock, recorder, model="rules:buy_and_hold", symbols=("MSFT",)) as app:
        notifier = RunNotifier(
            recorder.send, run_id="live1", account_id=app.account_id, broker=app.broker,
            clock=app.clock, limits=app.service.deps.limits,
        )  # fmt: skip
        plan = _plan("rules:buy_and_hold", max_cycles=2)
        fills = BrokerFills(app.broker)
        first = _loop(app, plan, clock, fills, [notifier], fill_open_orders).run()
        # the first tick is 15 minutes after the open (14:30 UTC), the second 15 later
        assert (first.cycles, first.last_cycle, first.missed) == (2, 1, 0)
        assert clock.now() == datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
        [order] = alpaca.orders.values()
        assert order["client_order_id"] == "live1-0-MSFT-buy"
        assert [e.fill.symbol for e in recorder.events if e.kind == "order_filled"] == ["MSFT"]

        clock.advance_to(datetime(2024, 3, 5, 16, 0, tzinfo=UTC))  # down for an hour
        again = _loop(app, _plan("rules:buy_and_hold", max_cycles=1), clock, fills).run()
        assert (again.missed, again.last_cycle) == (3, 5)  # 15:15, 15:30, 15:45 skipped
        assert alpaca.count("POST /v2/orders") == 1  # holding already: nothing new
        points = app.store.equity_curve(app.account_id)
        assert len(points) == 3


def test_paper_broker_on_a_live_feed_fills_on_the_next_minute_bar(
    tmp_path: Path, alpaca: FakeAlpaca, clock: ReplayClock, recorder: Recorder
):
    with _open(
        tmp_path, clock, recorder, broker="paper", data="alpaca",
        model="rules:buy_and_hold", symbols=("MSFT",),
    ) as app:  # fmt: skip
        assert app.live and app.account_id == "paper-default"
        fills = BarFills(app.feed, app.broker, ("MSFT",), LIVE_FILL_TIMEFRAME)
        result = _loop(app, _plan("rules:buy_and_hold", max_cycles=2), clock, fills).run()
        assert result.cycles == 2
        [fill] = app.broker.get_fills()
    minute = alpaca.data.minute["MSFT"]
    placed_at = next(b for b in minute if b["t"] == "2024-03-05T14:45:00Z")
    assert float(fill.price) == pytest.approx(placed_at["o"])
    assert fill.timestamp == datetime(2024, 3, 5, 14, 45, tzinfo=UTC)
    assert alpaca.count("POST /v2/orders") == 0  # paper: nothing reaches Alpaca's trading API


def test_a_data_outage_aborts_the_cycle_alerts_once_and_recovers(
    tmp_path: Path, alpaca: FakeAlpaca, clock: ReplayClock, recorder: Recorder
):
    with _open(tmp_path, clock, recorder, model="rules:supertrend", symbols=("MSFT",)) as app:
        notifier = RunNotifier(
            recorder.send, run_id="live1", account_id=app.account_id, broker=app.broker,
            clock=app.clock, limits=app.service.deps.limits,
        )  # fmt: skip
        alpaca.fail("GET /v2/stocks/bars", Fault(status=503), Fault(status=503))
        seen: list[Any] = []
        loop = _loop(
            app, _plan("rules:supertrend", max_cycles=3), clock, BrokerFills(app.broker),
            [notifier], lambda n, when, reply: seen.append(reply),
        )  # fmt: skip
        loop.run()
    assert [r.status for r in seen][:1] == ["aborted"]
    assert seen[0].error_type == "DataUnavailableError"
    assert seen[-1].status != "aborted"
    kinds = recorder.kinds()
    # the data source's critical alert, then one loop alert for the streak, then recovery
    assert kinds.count("error") >= 2
    loop_alerts = [e for e in recorder.events if getattr(e, "component", "") == "agent-loop"]
    assert [a.error_type for a in loop_alerts] == ["DataUnavailableError", "Recovered"]
    assert alpaca.count("POST /v2/orders") <= 1


def test_live_battle_on_alpaca_data_waits_for_each_tick_and_scores(
    tmp_path: Path, alpaca: FakeAlpaca, clock: ReplayClock, monkeypatch: pytest.MonkeyPatch
):
    from tradepit.battle import BattleConfig
    from tradepit.battle.leaderboard import build_leaderboard
    from tradepit.battle.live import live_runner
    from tradepit.bootstrap_live import open_market
    from tradepit.storage import Store

    def wait(seconds: float) -> bool:
        clock.advance_to(clock.now() + timedelta(seconds=seconds))
        return False

    store = Store.from_url(f"sqlite:///{tmp_path / 'battle.db'}")
    store.migrate()
    config = BattleConfig(
        models=("rules:supertrend", "rules:buy_and_hold", "rules:sma_cross"),
        symbols=("MSFT", "AAPL"), start=clock.now(),
        end=datetime(2024, 3, 5, 16, 0, tzinfo=UTC), cadence="30m", concurrency="sequential",
    )  # fmt: skip
    settings = _settings(tmp_path, broker="paper", data="alpaca")
    runner = live_runner(
        config, store, "live-b1", market_data=open_market(clock), clock=clock, wait=wait,
        settings=settings,
    )  # fmt: skip
    runner.run()
    assert clock.now() == datetime(2024, 3, 5, 16, 0, tzinfo=UTC)  # 15:00, 15:30, 16:00
    board = build_leaderboard(store, "live-b1")
    [sample] = board.samples
    assert sample.ticks == 3 and len(sample.scores) == 3
    holder = next(s for s in sample.scores if s.model == "rules:buy_and_hold")
    assert holder.fills >= 1  # bought, filled on the minute bars after the 15:00 tick
    assert holder.end_equity != config.capital
    assert alpaca.count("POST /v2/orders") == 0  # paper accounts: no Alpaca orders
    with pytest.raises(ConfigError, match="--blind"):
        live_runner(
            config.model_copy(update={"blind": True}), store, "live-b2",
            market_data=open_market(clock), clock=clock, settings=settings,
        )  # fmt: skip
    store.close()


def test_a_live_battle_stopped_while_waiting_for_a_tick_is_aborted(
    tmp_path: Path, alpaca: FakeAlpaca, clock: ReplayClock
):
    from tradepit.battle import BattleConfig
    from tradepit.battle.live import live_runner
    from tradepit.battle.stop import BattleInterrupted
    from tradepit.bootstrap_live import open_market
    from tradepit.storage import RunStatus, Store

    stop, ticks = threading.Event(), []

    def wait(seconds: float) -> bool:  # a stop (SIGTERM) while waiting for the second tick
        if ticks:
            stop.set()
            return True
        clock.advance_to(clock.now() + timedelta(seconds=seconds))
        return False

    store = Store.from_url(f"sqlite:///{tmp_path / 'battle.db'}")
    store.migrate()
    config = BattleConfig(
        models=("rules:buy_and_hold",), symbols=("MSFT",), start=clock.now(),
        end=datetime(2024, 3, 5, 16, 0, tzinfo=UTC), cadence="30m", concurrency="sequential",
    )  # fmt: skip
    runner = live_runner(
        config, store, "live-stop", market_data=open_market(clock), clock=clock, wait=wait,
        settings=_settings(tmp_path, broker="paper", data="alpaca"), stop=stop,
        on_tick=ticks.append,
    )  # fmt: skip
    with pytest.raises(BattleInterrupted, match="live-stop stopped after 1 of 3 ticks"):
        runner.run()
    assert store.get_run("live-stop").status is RunStatus.ABORTED
    assert store.get_run("live-stop.s1.c0").status is RunStatus.ABORTED
    store.close()
