"""Account, positions, market clock and calendar from recorded Alpaca answers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from tradepit.domain.models import AssetClass


def test_account_maps_every_amount_exactly(broker, cassette):
    with cassette("broker_account") as cass:
        account = broker.get_account()
        assert cass.play_count == 1
    assert account.id == "e6fe16f3-64a4-4921-8928-cadf02f92f98"
    assert (account.cash, account.equity) == (Decimal("90206.33"), Decimal("101873.46"))
    assert account.buying_power == Decimal("187412.66")
    assert account.last_equity == Decimal("100512.87")
    assert account.short_market_value == Decimal("-2640")
    assert account.equity_peak == Decimal("101873.46")  # the highest equity seen
    assert account.timestamp == datetime(2024, 11, 26, 21, 0, tzinfo=UTC)


def test_positions_are_signed_and_typed(broker, cassette):
    with cassette("broker_account"):
        positions = {p.symbol: p for p in broker.get_positions()}
        missing = broker.get_position("NVDA")
    assert missing is None
    assert positions["AAPL"].qty == Decimal(50)
    assert positions["AAPL"].unrealized_pnl == Decimal("447.50")
    assert positions["TSLA"].qty == Decimal(-8)
    assert positions["TSLA"].market_value == Decimal(-2640)
    option = positions["SPY251121P00550000"]
    assert option.asset_class is AssetClass.US_OPTION
    assert option.market_price == Decimal("9.57")


def test_market_clock_and_calendar_in_utc(broker, cassette):
    with cassette("broker_account"):
        clock = broker.market_clock()
        days = broker.calendar(date(2024, 11, 27), date(2024, 12, 2))
    assert clock.is_open is False
    assert clock.next_open == datetime(2024, 11, 27, 14, 30, tzinfo=UTC)
    assert [d.date for d in days] == [date(2024, 11, 27), date(2024, 11, 29), date(2024, 12, 2)]
    assert days[1].close == datetime(2024, 11, 29, 18, 0, tzinfo=UTC)  # early close, 13:00 ET
    assert days[0].open == datetime(2024, 11, 27, 14, 30, tzinfo=UTC)
