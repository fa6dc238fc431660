"""Costs, shorting, buying power, rejections, sessions and ids of the paper account."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tradepit.domain.errors import (
    DuplicateClientOrderIdError,
    InsufficientBuyingPowerError,
    OrderNotCancelableError,
    OrderNotFoundError,
    OrderRejectedError,
    UnknownSymbolError,
)
from tradepit.domain.models import OrderRequest, OrderStatus, OrderType, Side

BUY, SELL = Side.BUY, Side.SELL
DAY = timedelta(days=1)


def D(value: object) -> Decimal:
    return Decimal(str(value))


def req(qty=10, side=BUY, symbol="AAA", **kw) -> OrderRequest:
    return OrderRequest(symbol=symbol, side=side, qty=D(qty), **kw)


def test_commission_and_slippage_arithmetic(make_sim) -> None:
    per_share, pct, bps = D("0.005"), D("0.001"), D(25)
    s = make_sim(commission_per_share=per_share, commission_pct=pct, slippage_bps=bps)
    s.step(100)
    s.broker.submit_order(req(40))
    (buy,) = s.step(100, 101, 99, 100)
    slip = bps / 10000
    assert buy.price == D(100) * (1 + slip)
    assert buy.commission == per_share * 40 + pct * 40 * buy.price
    s.broker.submit_order(req(40, SELL))
    (sell,) = s.step(110)
    assert sell.price == D(110) * (1 - slip)
    account = s.broker.get_account()
    expected = D(100000) - 40 * buy.price - buy.commission + 40 * sell.price - sell.commission
    assert account.cash == account.equity == expected


def test_min_commission(make_sim) -> None:
    s = make_sim(commission_per_share=D("0.005"), min_commission=D(1))
    s.step(100)
    s.broker.submit_order(req(10))
    (fill,) = s.step(100)
    assert fill.commission == D(1)


def test_short_sale_flip_and_equity(sim) -> None:
    sim.broker.submit_order(req(10, SELL))
    sim.step(100, 101, 89, 90)
    position = sim.broker.get_position("AAA")
    assert (position.qty, position.avg_entry_price, position.market_price) == (-10, 100, 90)
    account = sim.broker.get_account()
    assert account.cash == D(100000) + 10 * D(100)  # short proceeds are cash
    assert account.equity == account.cash - 10 * D(90)
    assert account.short_market_value == -900 and account.long_market_value == 0
    sim.broker.submit_order(req(25, BUY))  # cover 10 and go long 15
    sim.step(80)
    position = sim.broker.get_position("AAA")
    assert (position.qty, position.avg_entry_price) == (15, 80)
    assert sim.broker.get_account().cash == D(100000) + 1000 - 25 * 80


def test_long_to_short_in_one_order(sim) -> None:
    sim.broker.submit_order(req(10))
    sim.step(100)
    sim.broker.submit_order(req(30, SELL))
    sim.step(110)
    position = sim.broker.get_position("AAA")
    assert (position.qty, position.avg_entry_price) == (-20, 110)


def test_average_price_of_adds_and_reductions(sim) -> None:
    sim.broker.submit_order(req(10))
    sim.step(100)
    sim.broker.submit_order(req(30))
    sim.step(120)
    assert sim.broker.get_position("AAA").avg_entry_price == (10 * 100 + 30 * 120) / D(40)
    sim.broker.submit_order(req(20, SELL))
    sim.step(200)
    assert sim.broker.get_position("AAA").avg_entry_price == D(115)  # unchanged on a reduction


@pytest.mark.parametrize(("symbol", "config"), [("NOSHORT", {}), ("AAA", {"allow_short": False})])
def test_short_not_allowed_is_rejected(make_sim, symbol, config) -> None:
    s = make_sim(**config)
    s.step(100, symbol=symbol)
    s.broker.submit_order(req(5, symbol=symbol))
    s.step(100, symbol=symbol)
    with pytest.raises(OrderRejectedError) as err:
        s.broker.submit_order(req(6, SELL, symbol=symbol))
    assert err.value.code == "not_shortable"
    assert s.broker.submit_order(req(5, SELL, symbol=symbol)).status is OrderStatus.ACCEPTED


def test_without_shorting_sells_never_go_below_zero(make_sim) -> None:
    s = make_sim(allow_short=False)
    s.step(100)
    s.broker.submit_order(req(5))
    s.step(100)
    first = s.broker.submit_order(req(5, SELL))
    second = s.broker.submit_order(req(5, SELL))  # accepted against the same 5 shares
    fills = s.step(100)
    assert [f.order_id for f in fills] == [first.id]
    assert s.broker.get_position("AAA") is None
    assert s.broker.get_order(second.id).status is OrderStatus.CANCELED


@pytest.mark.parametrize(
    ("request_kw", "code"),
    [
        ({"qty": D(0)}, "invalid_qty"),
        ({"qty": D(-3)}, "invalid_qty"),
        ({"qty": D("1.5")}, "invalid_qty"),
        ({"notional": D(0)}, "invalid_qty"),
        ({"notional": D(50)}, "invalid_qty"),  # under one share at 100
        ({"symbol": "HALTED", "qty": D(1)}, "not_tradable"),
        ({"symbol": "BBB", "qty": D(1)}, "no_price"),  # never marked
    ],
)
def test_rejections_create_no_order(sim, request_kw, code) -> None:
    kw = {"symbol": "AAA", "side": BUY, **request_kw}
    with pytest.raises(OrderRejectedError) as err:
        sim.broker.submit_order(OrderRequest(**kw))
    assert err.value.code == code
    assert sim.broker.list_orders("all") == []


def test_limit_order_needs_no_mark(sim) -> None:
    order = sim.broker.submit_order(req(1, symbol="BBB", type=OrderType.LIMIT, limit_price=D(5)))
    assert order.status is OrderStatus.ACCEPTED


def test_fractional_qty_when_allowed(make_sim) -> None:
    s = make_sim(allow_fractional=True)
    s.step(100)
    s.broker.submit_order(req("0.25"))
    assert [f.qty for f in s.step(100)] == [D("0.25")]


def test_a_fractionable_asset_trades_fractions_in_a_whole_share_account(sim) -> None:
    """Crypto is fractionable (as at Alpaca): a battle's BTC/USD orders were all rejected
    with "fractional qty ... is not allowed"; stocks in the same account stay whole."""
    sim.step(100, symbol="COIN/USD")
    sim.broker.submit_order(req("0.25", symbol="COIN/USD"))
    sim.broker.submit_order(OrderRequest(symbol="COIN/USD", side=BUY, notional=D(30)))
    assert [f.qty for f in sim.step(100, symbol="COIN/USD")] == [D("0.25"), D("0.3")]
    with pytest.raises(OrderRejectedError, match="fractional qty"):
        sim.broker.submit_order(req("0.25"))


def test_unknown_symbol(sim) -> None:
    with pytest.raises(UnknownSymbolError):
        sim.broker.submit_order(req(symbol="NOPE"))


def test_buying_power_counts_positions_and_open_orders(sim) -> None:
    assert sim.broker.get_account().buying_power == D(100000)
    sim.broker.submit_order(req(300))
    assert sim.broker.get_account().buying_power == D(100000) - 300 * D(100)
    sim.broker.submit_order(req(100, SELL, type=OrderType.LIMIT, limit_price=D(200)))
    # the sell nets against the pending buy: it increases no exposure, reserves nothing
    assert sim.broker.get_account().buying_power == D(100000) - 300 * D(100)
    with pytest.raises(InsufficientBuyingPowerError):
        sim.broker.submit_order(req(701))
    sim.broker.submit_order(req(700))
    assert sim.broker.get_account().buying_power == 0


def test_reducing_orders_pass_without_buying_power(sim) -> None:
    sim.broker.submit_order(req(1000))
    sim.step(100)
    assert sim.broker.get_account().buying_power == 0
    assert sim.broker.submit_order(req(1000, SELL)).status is OrderStatus.ACCEPTED
    with pytest.raises(InsufficientBuyingPowerError):
        sim.broker.submit_order(req(1, symbol="AAA"))


def test_buying_power_includes_slippage_commission_and_leverage(make_sim) -> None:
    s = make_sim(slippage_bps=D(100), commission_pct=D("0.01"), max_leverage=D(2))
    s.step(100)
    # 1960 * 101 * 1.01 = 199,939.6 <= 200,000; 1961 shares need 200,041.6
    with pytest.raises(InsufficientBuyingPowerError):
        s.broker.submit_order(req(1961))
    s.broker.submit_order(req(1960))


def test_duplicate_client_order_id(sim) -> None:
    first = sim.broker.submit_order(req(1, client_order_id="run1-c1-AAA"))
    with pytest.raises(DuplicateClientOrderIdError):
        sim.broker.submit_order(req(2, client_order_id="run1-c1-AAA"))
    assert sim.broker.get_order_by_client_id("run1-c1-AAA") == first
    assert sim.broker.get_order_by_client_id("other") is None
    assert len(sim.broker.list_orders("all")) == 1


def test_cancel_errors(sim) -> None:
    order = sim.broker.submit_order(req(1))
    sim.step(100)
    with pytest.raises(OrderNotCancelableError):
        sim.broker.cancel_order(order.id)
    with pytest.raises(OrderNotFoundError):
        sim.broker.cancel_order("nope")
    with pytest.raises(OrderNotFoundError):
        sim.broker.get_order("nope")


def test_cancel_open_order(sim) -> None:
    order = sim.broker.submit_order(req(1, type=OrderType.LIMIT, limit_price=D(50)))
    canceled = sim.broker.cancel_order(order.id)
    assert canceled.status is OrderStatus.CANCELED
    assert sim.step(40) == []
    assert sim.broker.get_account().buying_power == D(100000)


def test_close_position_without_position(sim) -> None:
    with pytest.raises(OrderRejectedError) as err:
        sim.broker.close_position("AAA")
    assert err.value.code == "no_position"


def test_sessions_roll_last_equity_and_track_the_peak(sim) -> None:
    sim.broker.submit_order(req(100))
    sim.step(100, 110, 100, 110)  # equity 101,000 at this close
    account = sim.broker.get_account()
    assert account.last_equity == D(100000)
    assert account.equity_peak == D(101000)
    sim.step(105, 106, 90, 90)  # new day: last_equity = previous close's equity
    account = sim.broker.get_account()
    assert account.last_equity == D(101000)
    assert account.equity == D(99000)
    assert account.equity_peak == D(101000)
    sim.broker.mark("AAA", D(130))
    assert sim.broker.get_account().equity_peak == D(103000)


def test_get_fills_since_is_inclusive(sim) -> None:
    sim.broker.submit_order(req(1))
    sim.step(100)
    sim.broker.submit_order(req(1))
    second_bar = sim.next_ts
    sim.step(101)
    assert len(sim.broker.get_fills()) == 2
    assert [f.price for f in sim.broker.get_fills(since=second_bar)] == [D(101)]
    assert sim.broker.get_fills(since=second_bar + DAY) == []


def test_ids_are_deterministic(make_sim) -> None:
    def run() -> list[tuple[str, str]]:
        s = make_sim(account_id="acct")
        s.step(100)
        s.broker.submit_order(req(1, take_profit=D(120), stop_loss=D(90)))
        s.broker.submit_order(req(1, client_order_id="mine"))
        s.step(100)
        orders = [(o.id, o.client_order_id) for o in s.broker.list_orders("all")]
        return orders + [(f.id, f.order_id) for f in s.broker.get_fills()]

    first = run()
    assert first == run()
    assert first[0] == ("acct-o1", "acct-c1")
    assert ("acct-o4", "mine") in first


def test_sessions_follow_the_utc_date_of_non_utc_timestamps(make_sim) -> None:
    s = make_sim()
    s.step(100)
    s.broker.submit_order(req(10))
    s.step(100, 110, 100, 110)  # bar of Jan 3 (UTC); equity 100,100 at its close
    new_york = ZoneInfo("America/New_York")
    evening = datetime(2024, 1, 3, 18, tzinfo=new_york)  # 23:00 UTC, still Jan 3
    s.broker.on_bar(s.bar(110, 110, 110, 110, at=evening))
    assert s.broker.get_account().last_equity == D(100000)
    later = datetime(2024, 1, 3, 20, tzinfo=new_york)  # Jan 3 locally, Jan 4 in UTC
    s.broker.on_bar(s.bar(110, 110, 110, 110, at=later))
    assert s.broker.get_account().last_equity == D(100100)


def test_a_bracket_leg_id_cannot_collide_with_an_existing_order(sim) -> None:
    sim.broker.submit_order(req(1, client_order_id="x-sl"))
    with pytest.raises(DuplicateClientOrderIdError):
        sim.broker.submit_order(req(1, client_order_id="x", stop_loss=D(90)))
    sim.broker.submit_order(req(1, client_order_id="paper-c3-tp"))  # order number 2
    order = sim.broker.submit_order(req(1, take_profit=D(120)))  # number 3 would collide
    assert order.client_order_id == "paper-c4"
    assert order.legs[0].client_order_id == "paper-c4-tp"
    assert len({o.client_order_id for o in sim.broker.list_orders("all")}) == 4
