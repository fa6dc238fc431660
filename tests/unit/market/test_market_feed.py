"""PointInTimeFeed: completed bars only, resampling, caching, errors, no look-ahead."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepit.clock import ReplayClock
from tradepit.domain.errors import MalformedDataError, NoDataError, UnknownSymbolError
from tradepit.domain.models import Asset, AssetClass
from tradepit.market import feed as feed_module
from tradepit.market.feed import HistoricalSource, PointInTimeFeed
from tradepit.market.resample import resample
from tradepit.market.synthetic import synthetic_ohlcv

DAY = timedelta(days=1)


def _at(text: str) -> datetime:
    return pd.Timestamp(text, tz="UTC").to_pydatetime()


@pytest.fixture(scope="module")
def bundled_source() -> HistoricalSource:
    return HistoricalSource.bundled()


def test_bundled_source(bundled_source: HistoricalSource) -> None:
    assert bundled_source.symbols() == ["IXIC", "MSFT", "SPX"]
    assert bundled_source.asset("SPX").asset_class is AssetClass.INDEX
    with pytest.raises(MalformedDataError, match="close-only"):
        HistoricalSource.bundled(["AAPL"])
    with pytest.raises(UnknownSymbolError):
        HistoricalSource.bundled(["NOPE"])


def test_bar_visible_only_once_complete(bundled_source: HistoricalSource) -> None:
    """A daily bar of an exchange-traded series is complete at its session's close (20:00Z
    on 2010-06-01, EDT), not at the next midnight."""
    bar_open, close = _at("2010-06-01"), _at("2010-06-01") + timedelta(hours=20)
    clock = ReplayClock(close - timedelta(microseconds=1))
    feed = PointInTimeFeed(bundled_source, clock)
    assert feed.get_bars("SPX").index[-1] == _at("2010-05-28")
    assert feed.latest_bar("SPX").timestamp == _at("2010-05-28")
    clock.advance_to(close)
    assert feed.get_bars("SPX").index[-1] == bar_open
    bar = feed.latest_bar("SPX")
    row = bundled_source.frame("SPX").loc[bar_open]
    assert bar.timestamp == bar_open and float(bar.close) == row["close"]
    assert float(bar.high) == row["high"] and float(bar.volume) == row["volume"]
    quote = feed.latest_quote("SPX")
    assert quote.bid == quote.ask == quote.last == bar.close
    assert quote.timestamp == close
    after = feed.completed_after("SPX", "1Day", close - timedelta(hours=1))
    assert list(after.index) == [bar_open]
    assert feed.completed_after("SPX", "1Day", close).empty


def test_daily_bars_of_early_closes_and_round_the_clock_assets() -> None:
    frame = HistoricalSource.bundled(["SPX"]).frame("SPX")
    assets = {
        "SPX": Asset(symbol="SPX", calendar="XNYS"),
        "SYN-C": Asset(symbol="SYN-C", calendar="24/7"),
    }
    source = HistoricalSource({"SPX": frame, "SYN-C": frame}, assets)
    eve = _at("2018-12-24")  # the NYSE closed at 13:00 ET = 18:00Z
    clock = ReplayClock(eve + timedelta(hours=18))
    feed = PointInTimeFeed(source, clock)
    assert feed.latest_bar("SPX").timestamp == eve
    assert feed.latest_bar("SYN-C").timestamp == _at("2018-12-21")  # complete at midnight
    clock.advance_to(eve + DAY)
    assert feed.latest_bar("SYN-C").timestamp == eve


def test_end_after_now_is_clipped_and_start_respected(bundled_source: HistoricalSource) -> None:
    clock = ReplayClock(_at("2010-06-02"))
    feed = PointInTimeFeed(bundled_source, clock)
    bars = feed.get_bars("SPX", "1Day", start=_at("2010-05-01"), end=_at("2030-01-01"))
    assert bars.index[0] == _at("2010-05-03") and bars.index[-1] == _at("2010-06-01")
    mid = feed.get_bars("SPX", start=_at("2010-05-03"), end=_at("2010-05-05"))
    assert list(mid.index) == [_at("2010-05-03"), _at("2010-05-04"), _at("2010-05-05")]
    assert feed.get_bars("SPX", start=_at("2011-01-01")).empty


def test_weekly_bars_only_complete_weeks(bundled_source: HistoricalSource) -> None:
    clock = ReplayClock(_at("2010-06-02"))  # a Wednesday
    feed = PointInTimeFeed(bundled_source, clock)
    weeks = feed.get_bars("SPX", "1Week")
    assert weeks.index[-1] == _at("2010-05-24")
    daily = bundled_source.frame("SPX").loc["2010-05-24":"2010-05-28"]
    assert weeks["high"].iloc[-1] == daily["high"].max()
    assert weeks["volume"].iloc[-1] == daily["volume"].sum()
    clock.advance_to(_at("2010-06-07"))
    assert feed.get_bars("SPX", "1Week").index[-1] == _at("2010-05-31")


def test_resampled_frames_are_cached(
    bundled_source: HistoricalSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real = feed_module.resample

    def counting(frame: pd.DataFrame, timeframe: object) -> pd.DataFrame:
        calls.append(timeframe)
        return real(frame, timeframe)

    monkeypatch.setattr(feed_module, "resample", counting)
    feed = PointInTimeFeed(bundled_source, ReplayClock(_at("2010-06-02")))
    for timeframe in ("1Week", "1Week", "1w", "1week"):
        feed.get_bars("SPX", timeframe)
    assert len(calls) == 1


def test_errors(bundled_source: HistoricalSource) -> None:
    feed = PointInTimeFeed(bundled_source, ReplayClock(_at("1980-01-01")))
    with pytest.raises(NoDataError):
        feed.latest_bar("SPX")
    with pytest.raises(NoDataError):
        feed.latest_quote("SPX")
    assert feed.get_bars("SPX").empty
    for call in (feed.get_asset, feed.latest_bar, feed.get_bars):
        with pytest.raises(UnknownSymbolError):
            call("NOPE")
    with pytest.raises(ValueError, match="finer"):
        feed.get_bars("SPX", "1Hour")
    with pytest.raises(ValueError, match="timezone"):
        feed.get_bars("SPX", start=datetime(2000, 1, 1))


def test_from_frames_normalises_and_labels() -> None:
    raw = pd.DataFrame(
        {"Date": ["2024-01-02", "2024-01-03"], "Open": [1, 2], "High": [2, 3], "Low": [1, 2],
         "Close": [2, 3]}
    )  # fmt: skip
    source = HistoricalSource.from_frames({"ABC": raw})
    assert list(source.frame("ABC").columns) == ["open", "high", "low", "close", "volume"]
    assert source.asset("ABC") == Asset(symbol="ABC")
    custom = Asset(symbol="ABC", asset_class=AssetClass.CRYPTO, calendar="24/7")
    assert HistoricalSource.from_frames({"ABC": raw}, [custom]).asset("ABC") == custom
    synthetic = synthetic_ohlcv(1, bars=20, calendar="24/7")
    with pytest.raises(ValueError, match="SYN-"):
        HistoricalSource.from_frames({"ABC": synthetic})
    source = HistoricalSource.from_frames({"SYN-1": synthetic})
    assert source.frame("SYN-1").attrs["synthetic"] is True
    assert source.asset("SYN-1").calendar == "24/7"


def test_feed_refuses_wrong_base_timeframe() -> None:
    source = HistoricalSource.from_frames({"SYN-1": synthetic_ohlcv(bars=50)})
    with pytest.raises(MalformedDataError, match="coarser"):
        PointInTimeFeed(source, ReplayClock(_at("2024-01-01")), timeframe="1Hour")
    hourly = HistoricalSource.from_frames({"SYN-1": synthetic_ohlcv(bars=50, timeframe="1Hour")})
    with pytest.raises(MalformedDataError, match="overlap"):
        PointInTimeFeed(hourly, ReplayClock(_at("2024-01-01")), timeframe="1Day")


def test_from_files_parses_each_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "abc.csv"
    path.write_text("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n", encoding="utf-8")
    calls: list[object] = []
    real = feed_module.load_ohlcv
    monkeypatch.setattr(feed_module, "load_ohlcv", lambda p: calls.append(p) or real(p))
    feed_module._load_cached.cache_clear()
    first = HistoricalSource.from_files({"ABC": path})
    HistoricalSource.from_files({"ABC": path})
    assert len(calls) == 1 and first.frame("ABC")["close"].iloc[0] == 1.5
    with pytest.raises(MalformedDataError, match="cannot read"):
        HistoricalSource.from_files({"ABC": tmp_path / "missing.csv"})


# ------------------------------------------------------------------ look-ahead

BASE = synthetic_ohlcv(1, bars=3000, timeframe="5Min", seed=11)
LOOKAHEAD_SOURCE = HistoricalSource.from_frames({"SYN-1": BASE})
START = BASE.index[0].to_pydatetime() - timedelta(hours=1)
SPAN = (BASE.index[-1] - BASE.index[0]).to_pytimedelta() + timedelta(days=2)
TIMEFRAMES = {"5Min": 5, "15Min": 15, "1Hour": 60, "4Hour": 240, "1Day": 1440}
FULL = {tf: resample(BASE, tf) for tf in TIMEFRAMES}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=25),
    st.sampled_from(sorted(TIMEFRAMES)),
    st.floats(0, 3),
)
def test_no_bar_after_now(fractions: list[float], timeframe: str, end_days: float) -> None:
    clock = ReplayClock(START)
    feed = PointInTimeFeed(LOOKAHEAD_SOURCE, clock, timeframe="5Min")
    duration = timedelta(minutes=TIMEFRAMES[timeframe])
    for fraction in sorted(fractions):
        now = START + SPAN * fraction
        clock.advance_to(now)
        end = now + timedelta(days=end_days)  # often after now: must be clipped
        bars = feed.get_bars("SYN-1", timeframe, end=end)
        if len(bars):
            assert bars.index[-1].to_pydatetime() + duration <= now
        # not over-strict: exactly the bars complete at `now` (independent oracle)
        opens = FULL[timeframe].index
        expected = int((opens + duration <= pd.Timestamp(now)).sum())
        assert len(feed.get_bars("SYN-1", timeframe)) == expected
        try:
            bar = feed.latest_bar("SYN-1")
            quote = feed.latest_quote("SYN-1")
        except NoDataError:
            assert (BASE.index + pd.Timedelta(minutes=5) > pd.Timestamp(now)).all()
            continue
        assert bar.timestamp + timedelta(minutes=5) <= now
        assert quote.timestamp <= now
        later = BASE.index[BASE.index > pd.Timestamp(bar.timestamp)]
        assert len(later) == 0 or later[0] + pd.Timedelta(minutes=5) > pd.Timestamp(now)


def test_reference_stepping_through_every_bar() -> None:
    """Walk the clock bar by bar: each new step reveals exactly the bar that just closed."""
    frame = BASE.iloc[:400]
    source = HistoricalSource.from_frames({"SYN-1": frame})
    clock = ReplayClock(frame.index[0].to_pydatetime())
    feed = PointInTimeFeed(source, clock, timeframe="5Min")
    assert feed.get_bars("SYN-1", "5Min").empty
    closes = frame.index + pd.Timedelta(minutes=5)
    for i, close_time in enumerate(closes):
        clock.advance_to(close_time.to_pydatetime())
        bars = feed.get_bars("SYN-1", "5Min")
        assert len(bars) == i + 1 and bars.index[-1] == frame.index[i]
        assert np.isclose(float(feed.latest_quote("SYN-1").last), frame["close"].iloc[i])


def test_bars_come_without_attrs_the_source_keeps_them() -> None:
    """pandas deep-copies `attrs` into every slice and column: the feed's frames have none,
    the source's keep their metadata, and both share the same data."""
    source = HistoricalSource.from_frames({"SYN-1": synthetic_ohlcv(1, bars=60)})
    frame = source.frame("SYN-1")
    feed = PointInTimeFeed(source, ReplayClock(frame.index[-1].to_pydatetime() + DAY))
    bars = feed.get_bars("SYN-1")
    assert bars.attrs == {} and bars["close"].attrs == {}
    assert frame.attrs["synthetic"] is True
    assert np.shares_memory(bars["close"].to_numpy(), frame["close"].to_numpy())
    pd.testing.assert_frame_equal(bars, frame, check_flags=False)
