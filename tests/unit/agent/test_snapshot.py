"""The per-tick market snapshot: frozen, point-in-time, shared by competitors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from tests.unit.tools.harness import Caller, Market, make_deps

from tradepit import indicators
from tradepit.agent.snapshot import MarketSnapshot, build_snapshot
from tradepit.broker import PaperBroker
from tradepit.domain.errors import UnknownSymbolError
from tradepit.tools.registry import default_tools, tools_by_name


@pytest.fixture
def market() -> Market:
    market = Market()
    market.step(5)
    return market


def test_nothing_is_stamped_after_now(market: Market) -> None:
    snap = build_snapshot(make_deps(market), ["SPX", "IXIC", "MSFT"])
    now = market.clock.now()
    assert snap.time == now
    for view in snap.symbols:
        assert view.bar_time + timedelta(days=1) <= now
    assert snap.account is not None and snap.account.timestamp <= now


def test_values_are_computed_on_completed_bars(market: Market) -> None:
    view = build_snapshot(make_deps(market), ["SPX"]).view("SPX")
    bars = market.visible("SPX").iloc[-400:]
    h, low, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    line, direction = indicators.supertrend(h, low, c, 10, 3.0)
    assert view.bar_time == bars.index[-1].to_pydatetime()
    assert view.close == Decimal(repr(float(c[-1])))
    assert view.change_pct == pytest.approx(100 * (c[-1] / c[-2] - 1), abs=0.01)
    assert view.rsi14 == pytest.approx(indicators.rsi(c, 14)[-1], rel=1e-5)
    assert view.macd_hist == pytest.approx(indicators.macd(c)[2][-1], rel=1e-5)
    assert view.atr14 == pytest.approx(indicators.atr(h, low, c, 14)[-1], rel=1e-5)
    assert view.sma200 == pytest.approx(c[-200:].mean(), rel=1e-5)
    assert view.sma50 == pytest.approx(c[-50:].mean(), rel=1e-5)
    assert view.supertrend == pytest.approx(line[-1], rel=1e-5)
    assert view.supertrend_dir == int(direction[-1])


def test_snapshot_is_frozen_and_does_not_follow_the_clock(market: Market) -> None:
    snap = build_snapshot(make_deps(market), ["MSFT"])
    with pytest.raises(ValidationError):
        snap.time = market.clock.now()  # type: ignore[misc]
    before = snap.view("MSFT").close
    market.step()
    assert snap.view("MSFT").close == before
    assert build_snapshot(make_deps(market), ["MSFT"]).view("MSFT").close != before


def test_portfolio_part(market: Market) -> None:
    deps = make_deps(market)
    Caller(deps, tools_by_name(default_tools()))(
        "place_order", {"symbol": "MSFT", "side": "buy", "qty": 10}
    )
    market.step()
    snap = build_snapshot(deps, ["MSFT"])
    position = snap.position("MSFT")
    assert position is not None and position.qty == 10
    assert snap.account is not None and snap.account.state == "active"
    assert snap.position("SPX") is None


def test_battle_competitors_share_the_market_part(market: Market) -> None:
    shared = build_snapshot(make_deps(market), ["SPX", "MSFT"], portfolio=False)
    assert shared.account is None and shared.positions == ()
    other = PaperBroker(market.clock, market.source.asset, account_id="rival")
    rival = make_deps(market)
    rival.broker = other
    mine, theirs = shared.with_portfolio(make_deps(market)), shared.with_portfolio(rival)
    assert mine.symbols is shared.symbols and theirs.symbols is shared.symbols
    assert theirs.account is not None and theirs.account.equity == Decimal(100000)


def test_round_trips_through_json(market: Market) -> None:
    snap = build_snapshot(make_deps(market), ["SPX", "MSFT"])
    assert MarketSnapshot.model_validate(snap.model_dump(mode="json")) == snap


def test_unknown_symbol(market: Market) -> None:
    with pytest.raises(UnknownSymbolError):
        build_snapshot(make_deps(market), ["SPX", "NOPE"])
