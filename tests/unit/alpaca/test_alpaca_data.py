"""AlpacaMarketData from recorded answers: paginated bars, resampling, completed bars only,
crypto, latest quote/trade/bar, option chains with greeks, discovery, data safety."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from tests.unit.alpaca.conftest import NOW

from tradepit.clock import ReplayClock
from tradepit.domain.errors import ConfigError, DataUnavailableError
from tradepit.domain.models import Asset, AssetClass
from tradepit.market.alpaca import AlpacaMarketData, native_base
from tradepit.market.occ import OptionKind

START = datetime(2024, 11, 25, 14, tzinfo=UTC)


class Universe:
    """An asset source (the broker's role) with four symbols."""

    def get_asset(self, symbol: str) -> Asset:
        return Asset(symbol=symbol)

    def list_assets(self, asset_class: AssetClass = AssetClass.US_EQUITY) -> list[Asset]:
        return [Asset(symbol=s) for s in ("THIN", "AAPL", "PENNY", "MSFT")]


@pytest.fixture
def alerts() -> list[tuple[str, dict]]:
    return []


@pytest.fixture
def data(settings, resilience, fake_time, alerts) -> AlpacaMarketData:
    return AlpacaMarketData(
        settings,
        clock=ReplayClock(NOW),
        assets=Universe(),
        resilience=resilience,
        alert=lambda message, context: alerts.append((message, context)),
        snapshot_batch=2,
        monotonic=fake_time.monotonic,
    )


def test_hourly_bars_follow_pagination(data, cassette):
    with cassette("data_stocks"):
        bars = data.get_bars("AAPL", "1Hour", start=START)
    assert len(bars) == 14  # 8 on the first page, 6 on the second
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert (bars.dtypes == "float64").all() and str(bars.index.tz) == "UTC"
    assert bars.index.is_monotonic_increasing
    assert bars.index[-1] == pd.Timestamp("2024-11-26T20:00Z")  # complete at 21:00 = now


def test_four_hour_bars_are_resampled_and_only_complete(data, cassette):
    with cassette("data_stocks"):
        hourly = data.get_bars("AAPL", "1Hour", start=START)
    with cassette("data_stocks"):
        four = data.get_bars("AAPL", "4Hour", start=START)
    assert list(four.index.strftime("%m-%d %H")) == [
        "11-25 12",
        "11-25 16",
        "11-25 20",
        "11-26 12",
        "11-26 16",
    ]  # 11-26 20:00 not done
    bin_ = hourly.loc["2024-11-26T16:00Z":"2024-11-26T19:00Z"]
    row = four.loc["2024-11-26T16:00Z"]
    assert row["open"] == bin_["open"].iloc[0] and row["close"] == bin_["close"].iloc[-1]
    assert row["high"] == bin_["high"].max() == 235.6 and row["low"] == 233.4
    assert row["volume"] == bin_["volume"].sum() == 508000
    assert four.attrs["timeframe"] == "4Hour"


def test_native_timeframes_and_resampling_bases():
    assert native_base("1Min")[0] == "1Min" and native_base("1Day")[0] == "1Day"
    assert native_base("4Hour")[0] == "1Hour"
    assert native_base("10Min")[0] == "5Min"
    assert native_base("1Week")[0] == "1Day"
    assert native_base("45Min")[0] == "15Min"


def test_crypto_daily_bars(data, cassette):
    with cassette("data_stocks"):
        bars = data.get_bars(
            "BTC/USD",
            "1Day",
            start=datetime(2024, 11, 20, tzinfo=UTC),
            end=datetime(2024, 11, 23, tzinfo=UTC),
        )
    assert len(bars) == 3
    assert bars["close"].iloc[-1] == 98996.4
    assert bars["volume"].iloc[0] == pytest.approx(12.338764371)
    assert data.get_asset("BTC/USD").symbol == "BTC/USD"


def test_latest_quote_has_last_trade_and_latest_bar(data, cassette):
    with cassette("data_stocks"):
        quote = data.latest_quote("AAPL")
        bar = data.latest_bar("AAPL")
    assert (quote.bid, quote.ask, quote.last) == (
        Decimal("235.02"),
        Decimal("235.08"),
        Decimal("235.06"),
    )
    assert quote.mid == Decimal("235.05")
    assert quote.timestamp.tzinfo is not None and quote.timestamp.second == 59
    assert (bar.open, bar.close, bar.volume) == (Decimal("235.0"), Decimal("235.06"), Decimal(5129))


def test_option_chain_with_greeks_over_pages(data, cassette):
    with cassette("data_options"):
        chain = data.option_chain(
            "SPY",
            kind=OptionKind.PUT,
            expiry_from=date(2025, 11, 21),
            expiry_to=date(2025, 11, 21),
            strike_min=540,
            strike_max=560,
        )
    assert [q.contract.strike for q in chain] == [Decimal(540), Decimal(550), Decimal(560)]
    put = chain[1]
    assert put.symbol == "SPY251121P00550000" and put.contract.kind is OptionKind.PUT
    assert (put.bid, put.ask, put.last) == (Decimal("9.51"), Decimal("9.62"), Decimal("9.57"))
    assert put.implied_volatility == 0.1911 and put.greeks.delta == -0.1905
    assert all(q.greeks.vega > 0 for q in chain)


def test_option_chain_is_bounded(data, cassette):
    data.max_option_contracts = 2
    with cassette("data_options"), pytest.raises(ValueError, match="more than 2 contracts"):
        data.option_chain(
            "SPY",
            kind=OptionKind.PUT,
            expiry_from=date(2025, 11, 21),
            expiry_to=date(2025, 11, 21),
            strike_min=540,
            strike_max=560,
        )


def test_option_snapshots_in_batches(data, cassette):
    symbols = ["SPY251121P00550000", "SPY251121P00540000", "SPY251121C00800000"]
    with cassette("data_options") as cass:
        quotes = data.option_snapshots(symbols)
        assert sum(cass.play_counts.values()) == 2  # two batches of at most two
    assert [q.symbol for q in quotes] == symbols
    far = quotes[2]
    assert far.greeks is None and far.implied_volatility is None and far.last is None
    assert far.contract.kind is OptionKind.CALL and far.ask == Decimal("0.03")
    with pytest.raises(ValueError, match="OCC"):
        data.option_snapshots(["SPY"])


def test_discovery_filters_by_liquidity_and_is_cached(data, cassette, fake_time):
    with cassette("data_stocks") as cass:
        liquid = data.discover(min_price=5, min_dollar_volume=20e6, batch=2)
        again = data.discover(min_price=5, min_dollar_volume=20e6, batch=2)
        assert sum(cass.play_counts.values()) == 2  # the second call came from the cache
    assert [x.asset.symbol for x in liquid] == ["AAPL", "MSFT"]  # PENNY cheap, THIN thin
    assert liquid[0].dollar_volume == Decimal("232.87") * 1165203  # previous session
    assert again == liquid
    fake_time.now += 3601  # stale after an hour: Alpaca is asked again
    with cassette("data_stocks") as cass:
        data.discover(min_price=5, min_dollar_volume=20e6, batch=2)
        assert sum(cass.play_counts.values()) == 2


def test_live_outage_raises_and_alerts_never_substitutes(data, cassette, alerts):
    data.live = True
    with cassette("data_stocks"), pytest.raises(DataUnavailableError, match="unavailable"):
        data.latest_bar("MSFT")
    assert len(alerts) == 1 and alerts[0][1] == {"what": "latest bar", "symbol": "MSFT"}


def test_paper_outage_raises_without_alert(data, cassette, alerts):
    with cassette("data_stocks"), pytest.raises(DataUnavailableError):
        data.latest_bar("MSFT")
    assert alerts == []


def test_data_needs_keys():
    from tradepit.config import AlpacaSettings

    with pytest.raises(ConfigError, match="ALPACA_API_KEY"):
        AlpacaMarketData(AlpacaSettings(api_key="", secret_key=""))
