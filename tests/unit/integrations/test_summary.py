"""The daily summary from a real Store (SQLite) filled by paper broker sessions.

Three NYSE sessions (Mon 4 .. Wed 6 March 2024, EST: open 14:30, close 21:00 UTC), one bar
each, commission 0.01 per share:
- Mon: bar O100 C100; after the close BUY 100 ACME (market).
- Tue: fills at the open, 101 (+1.00 commission); close 103. Equity 100,199.00.
- after Tue's close SELL 40; Wed: fills at 102 (+0.40); close 99.
  Cash 100,000 - 10,101 + 4,079.60 = 93,978.60; equity 93,978.60 + 60 * 99 = 99,918.60.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tradepit.broker import PaperBroker, PaperConfig
from tradepit.clock import ReplayClock
from tradepit.domain.models import Asset, Bar, OrderRequest, Side, TradingState
from tradepit.integrations.notify_slack import slack_payload
from tradepit.integrations.summary import build_daily_summary
from tradepit.storage import Store

MON, TUE, WED = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)
BARS = {MON: (100, 101, 99, 100), TUE: (101, 104, 100, 103), WED: (102, 102, 98, 99)}
ORDERS = {MON: (Side.BUY, 100), TUE: (Side.SELL, 40)}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with Store.from_url(f"sqlite:///{tmp_path / 'tradepit.db'}") as store:
        store.migrate()
        yield store


def trade(store: Store, account_id: str, days: list[date], *, record: bool = True) -> None:
    """Run the scripted sessions for `account_id`, recording equity at each close."""
    clock = ReplayClock(at(days[0], 14, 30))
    config = PaperConfig(starting_cash=Decimal(100_000), commission_per_share=Decimal("0.01"))
    broker = PaperBroker(clock, lambda s: Asset(symbol=s), config, store, account_id)
    if record:
        store.record_equity(account_id, clock.now(), Decimal(100_000), Decimal(100_000))
    for day in days:
        clock.advance_to(at(day, 14, 30))
        o, h, low, c = (Decimal(v) for v in BARS[day])
        broker.on_bar(
            Bar(symbol="ACME", timestamp=clock.now(), open=o, high=h, low=low, close=c,
                volume=Decimal(10**6))
        )  # fmt: skip
        clock.advance_to(at(day, 21))
        account = broker.get_account()
        if record:
            store.record_equity(account_id, clock.now(), account.equity, account.cash)
        if day in ORDERS:
            side, qty = ORDERS[day]
            broker.submit_order(OrderRequest(symbol="ACME", side=side, qty=Decimal(qty)))


def test_one_account_day_and_inception_pnl_trades_and_positions(store):
    trade(store, "acct-1", [MON, TUE])
    tue = build_daily_summary(store, "acct-1", TUE, TradingState.ACTIVE)
    [row] = tue.accounts
    assert tue.session == TUE and tue.at == at(TUE, 21)
    assert row.equity == Decimal("100199.00")
    assert row.day_pnl == row.total_pnl == Decimal("199.00")
    assert row.day_return == Decimal("0.00199")
    assert [(f.side, f.qty, f.price, f.commission) for f in row.trades] == [
        (Side.BUY, 100, 101, Decimal("1.00"))
    ]
    [position] = row.positions
    assert (position.symbol, position.qty, position.market_price) == ("ACME", 100, 103)
    # Monday: no trade, flat, no P&L; its summary does not see Tuesday's fill
    mon = build_daily_summary(store, "acct-1", MON)
    assert mon.accounts[0].trades == () and mon.accounts[0].day_pnl == 0


def test_second_day_pnl_is_against_the_previous_close(store):
    trade(store, "acct-1", [MON, TUE, WED])
    summary = build_daily_summary(store, "acct-1", WED, TradingState.REDUCING)
    [row] = summary.accounts
    assert row.equity == Decimal("99918.60")
    assert row.day_pnl == Decimal("-280.40")
    assert row.total_pnl == Decimal("-81.40")
    assert row.total_return == Decimal("-0.000814")
    assert [(f.side, f.qty, f.price) for f in row.trades] == [(Side.SELL, 40, 102)]
    assert [(p.qty, p.avg_entry_price) for p in row.positions] == [(60, 101)]
    assert summary.state is row.state is TradingState.REDUCING


def test_battle_lines_per_competitor_and_strictest_state(store):
    trade(store, "acct-a", [MON, TUE])
    trade(store, "acct-b", [MON])  # Monday only: its order never filled
    summary = build_daily_summary(
        store,
        [("claude", "acct-a"), ("rules:macd", "acct-b")],
        TUE,
        {"acct-b": TradingState.HALTED},
    )
    a, b = summary.accounts
    assert (a.competitor, a.day_pnl, len(a.trades), a.state) == (
        "claude",
        Decimal("199.00"),
        1,
        TradingState.ACTIVE,
    )
    assert (b.competitor, b.equity, b.day_pnl, b.trades) == ("rules:macd", 100_000, 0, ())
    assert b.state is TradingState.HALTED and summary.state is TradingState.HALTED
    table = slack_payload(summary)["blocks"][2]["text"]["text"]
    assert table.splitlines() == [
        "```Competitor      Equity               Day             Total  Trades  Open  State",
        "claude      100,199.00  +199.00 (+0.20%)  +199.00 (+0.20%)       1     1  ACTIVE",
        "rules:macd  100,000.00    +0.00 (+0.00%)    +0.00 (+0.00%)       0     0  HALTED```",
    ]


def test_without_equity_points_the_ledger_of_that_session_is_used(store):
    trade(store, "acct-c", [MON, TUE, WED], record=False)
    [row] = build_daily_summary(store, "acct-c", WED).accounts
    assert row.equity == Decimal("99918.60")
    assert row.day_pnl == Decimal("-280.40")  # vs the ledger's last_equity (Tuesday's close)
    assert row.total_pnl is None and row.total_return is None
    [stale] = build_daily_summary(store, "acct-c", TUE).accounts  # the ledger is on Wednesday
    assert stale.equity is None and stale.day_pnl is None


def test_unknown_account_gives_an_empty_line(store):
    [row] = build_daily_summary(store, "nobody", TUE).accounts
    assert (row.equity, row.trades, row.positions) == (None, (), ())


def test_single_account_message(store):
    trade(store, "acct-1", [MON, TUE, WED])
    payload = slack_payload(build_daily_summary(store, "acct-1", WED))
    blocks = payload["blocks"]
    assert payload["text"] == "Daily summary 2024-03-06 (XNYS close)"
    assert blocks[1]["text"]["text"] == (
        "Trades:\n• SELL 40 ACME @ 102.00\n"
        "Open positions:\n• ACME 60 @ 101.00, now 99.00 (unrealized -120.00)"
    )
    assert [f["text"] for f in blocks[2]["fields"]] == [
        "*Account*\nacct-1",
        "*Equity*\n99,918.60",
        "*Day P&amp;L*\n-280.40 (-0.28%)",
        "*Since inception*\n-81.40 (-0.08%)",
        "*Trades*\n1",
        "*Risk state*\nACTIVE",
    ]
