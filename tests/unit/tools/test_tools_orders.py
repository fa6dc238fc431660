"""Account and order tools: the gate decides, the broker is the truth."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tests.unit.tools.harness import Caller, Market, make_deps

from tradepit.domain.models import OrderStatus, TradingState
from tradepit.risk import RiskLimits


@pytest.fixture
def halted(market: Market, registry: dict) -> Caller:
    return Caller(make_deps(market, manual_state=TradingState.HALTED), registry)


def last(market: Market, symbol: str) -> float:
    return float(market.visible(symbol)["close"].iloc[-1])


def test_account_summary(call: Caller) -> None:
    out = call("get_account")
    assert out["equity"] == out["cash"] == 100_000
    assert out["state"] == "active" and out["day_pnl"] == 0


def test_account_reports_the_kill_switch(halted: Caller) -> None:
    out = halted("get_account")
    assert out["state"] == "halted" and "manual_halt" in out["state_reasons"]


def test_place_order_reports_the_broker_state_not_a_fill(call: Caller, market: Market) -> None:
    result = call.result("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    assert result.ok
    out = json.loads(result.content)
    assert out["outcome"] == "submitted"
    assert out["order"]["status"] == "accepted" and out["order"]["filled_qty"] == 0
    assert out["order"]["client_order_id"] == "chat-0-MSFT-buy"
    broker_order = market.broker.get_order(out["order"]["id"])
    assert result.order == broker_order  # the record carries the broker's order
    assert result.verdict is not None and result.verdict.approved
    # the gate attached the default bracket and the broker holds it
    assert out["order"]["stop_loss"] == pytest.approx(last(market, "MSFT") * 0.98, abs=0.01)
    market.step()
    filled = call("get_orders", {"status": "all"})["orders"][0]
    assert filled["status"] == "filled" and filled["filled_qty"] == 10
    next_open = float(market.visible("MSFT")["open"].iloc[-1])
    assert filled["filled_avg_price"] == pytest.approx(next_open)


def test_percent_exits_become_prices(call: Caller, market: Market) -> None:
    args = {"symbol": "MSFT", "side": "buy", "qty": 1, "stop_loss_pct": 3, "take_profit_pct": 9}
    out = call("check_risk", args)["risk"]
    price = last(market, "MSFT")
    assert out["stop_loss"] == pytest.approx(price * 0.97, abs=0.01)
    assert out["take_profit"] == pytest.approx(price * 1.09, abs=0.01)


def test_stock_prices_go_to_the_broker_on_the_cent_tick(call: Caller, market: Market) -> None:
    """A model's sub-penny prices (a strategy's stop of 72.6223) would be refused by a real
    broker: they are sent rounded to the nearest cent, and the answer shows what was sent."""
    price = last(market, "MSFT")
    limit, stop = round(price * 0.99, 4) + 0.0037, round(price * 0.95, 4) + 0.0061
    args = {
        "symbol": "MSFT", "side": "buy", "qty": 2, "type": "limit", "limit_price": limit,
        "stop_loss": stop, "take_profit": round(price * 1.1, 2) + 0.0049,
    }  # fmt: skip
    out = call("place_order", args)
    order = market.broker.get_order(out["order"]["id"])
    assert order.limit_price == Decimal(str(round(limit, 2)))
    legs = {leg.type.value: leg for leg in order.legs}
    assert legs["stop"].stop_price == Decimal(str(round(stop, 2)))
    assert legs["limit"].limit_price == Decimal(str(round(price * 1.1, 2)))
    prices = [order.limit_price, legs["stop"].stop_price, legs["limit"].limit_price]
    assert all(p.as_tuple().exponent >= -2 for p in prices)
    assert out["order"]["limit_price"] == float(order.limit_price)


def test_denied_order_is_never_claimed(halted: Caller, market: Market) -> None:
    result = halted.result("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    out = json.loads(result.content)
    assert out["outcome"] == "denied_by_risk" and "halted" in out["reason"]
    assert "order" not in out and result.order is None
    assert result.verdict is not None and not result.verdict.approved
    assert market.broker.list_orders("all") == []


def test_broker_rejection_is_reported_as_a_rejection(source, registry) -> None:
    market = Market(source, allow_short=False)  # the gate allows shorts, this broker does not
    call = Caller(make_deps(market), registry)
    result = call.result("place_order", {"symbol": "MSFT", "side": "sell", "qty": 5})
    out = json.loads(result.content)
    assert result.ok and result.verdict is not None and result.verdict.approved
    assert out["outcome"] == "rejected_by_broker" and "not_shortable" in out["reason"]
    assert "order" not in out and result.order is None
    assert market.broker.list_orders("all") == []


def test_buying_power_rejection(source, registry) -> None:
    limits = RiskLimits(max_position_pct=Decimal(1))
    market = Market(source, starting_cash=Decimal(1000))
    call = Caller(make_deps(market, limits=limits), registry)
    out = call("place_order", {"symbol": "SPX", "side": "buy", "qty": 1})
    assert out["outcome"] == "denied_by_risk"  # the gate knows the buying power: no broker call


def test_repeat_in_the_same_cycle_is_a_duplicate(call: Caller, market: Market) -> None:
    first = call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    again = call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    assert again["outcome"] == "duplicate" and again["order"]["id"] == first["order"]["id"]
    call.deps.cycle += 1
    assert (
        call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})["outcome"] == "submitted"
    )
    parents = [o for o in market.broker.list_orders("all") if o.parent_id is None]
    assert len(parents) == 2


def test_check_risk_nets_open_orders(call: Caller, market: Market) -> None:
    qty = int(9_000 / last(market, "MSFT"))  # 9% of equity, max position is 10%
    assert call("check_risk", {"symbol": "MSFT", "side": "buy", "qty": qty})["risk"]["qty"] == qty
    call("place_order", {"symbol": "MSFT", "side": "buy", "qty": qty})
    risk = call("check_risk", {"symbol": "MSFT", "side": "buy", "qty": qty})["risk"]
    assert risk["approved"] and risk["qty"] < qty / 5
    assert any(r.startswith("resized_max_position") for r in risk["reasons"])
    assert len(market.broker.list_orders("all")) == 3  # check_risk placed nothing


def test_order_tools_only_trade_the_runs_symbols(market: Market, registry: dict) -> None:
    call = Caller(make_deps(market, symbols=("SPX",), mode="cycle"), registry)
    result = call.result("place_order", {"symbol": "MSFT", "side": "buy", "qty": 1})
    assert result.error_type == "SymbolNotTradedError"
    assert call("get_quote", {"symbol": "MSFT"})["symbol"] == "MSFT"


@pytest.mark.parametrize(
    ("arguments", "error_type", "text"),
    [
        ('{"symbol": "MSFT", "side": "buy", "qty": -1}', "ValidationError", "qty:"),
        (
            '{"symbol": "MSFT", "side": "buy", "qty": 1, "notional": 5}',
            "ValidationError",
            "exactly one",
        ),
        ('{"symbol": "MSFT", "side": "hold", "qty": 1}', "ValidationError", "side:"),
        ('{"symbol": "MSFT", "side": "buy", "qty": 1, "price": 3}', "ValidationError", "price:"),
        ('{"side": "buy", "qty": 1}', "ValidationError", "symbol:"),
        (
            '{"symbol": "MSFT", "side": "buy", "qty": 1, "type": "limit"}',
            "ValidationError",
            "limit_price",
        ),
        ('{"symbol": "MSFT", "side": "buy", "qty": 1,', "MalformedArgumentsError", "JSON"),
    ],
)
def test_malformed_orders(
    call: Caller, market: Market, arguments: str, error_type: str, text: str
) -> None:
    result = call.result("place_order", arguments)
    assert (result.ok, result.error_type) == (False, error_type)
    assert text in (result.error or "")
    assert market.broker.list_orders("all") == []


def test_positions_show_unrealised_pnl(call: Caller, market: Market) -> None:
    assert call("get_positions")["positions"] == []
    call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    market.step(3)
    out = call("get_positions")
    (position,) = out["positions"]
    expected = (last(market, "MSFT") - position["avg_entry"]) * 10
    assert position["qty"] == 10
    assert position["unrealized_pnl"] == pytest.approx(expected, abs=0.01)
    assert out["total_unrealized_pnl"] == pytest.approx(expected, abs=0.01)


def test_cancel_order(call: Caller, market: Market) -> None:
    placed = call(
        "place_order",
        {"symbol": "MSFT", "side": "buy", "qty": 10, "type": "limit", "limit_price": 30},
    )
    out = call("cancel_order", {"order_id": placed["order"]["id"]})
    assert out["order"]["status"] == "canceled"
    assert market.broker.get_order(placed["order"]["id"]).status is OrderStatus.CANCELED
    assert call.result("cancel_order", {"order_id": placed["order"]["id"]}).error_type == (
        "OrderNotCancelableError"
    )
    assert call.result("cancel_order", {"order_id": "nope"}).error_type == "OrderNotFoundError"


def test_open_orders_list_working_exit_legs(call: Caller, market: Market) -> None:
    call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    market.step()
    legs = call("get_orders")["orders"]
    assert {o["type"] for o in legs} == {"stop", "limit"}
    assert all(o["side"] == "sell" and o["parent_id"] for o in legs)


def test_close_position(call: Caller, market: Market, halted: Caller) -> None:
    assert call.result("close_position", {"symbol": "MSFT"}).error_type == "NothingToCloseError"
    call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    market.step()
    out = halted("close_position", {"symbol": "MSFT"})  # closing passes even when halted
    assert out["outcome"] == "submitted" and out["risk"]["approved"]
    assert out["order"]["side"] == "sell" and out["order"]["qty"] == 10
    assert out["order"]["client_order_id"] == "chat-0-MSFT-close"
    open_orders = market.broker.list_orders("open")
    assert [o.id for o in open_orders] == [out["order"]["id"]]  # bracket legs were cancelled
    assert halted("close_position", {"symbol": "MSFT"})["outcome"] == "duplicate"
    halted.deps.cycle += 1
    assert halted.result("close_position", {"symbol": "MSFT"}).error_type == "NothingToCloseError"
    market.step()
    assert market.broker.get_position("MSFT") is None


def test_close_position_cancels_unfilled_entries(call: Caller, market: Market) -> None:
    """An entry that has not filled yet is part of the position the signal sees: closing
    it cancels the order (with its legs) instead of failing or sending an offsetting one."""
    entry = call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    out = call("close_position", {"symbol": "MSFT"})
    assert out["outcome"] == "canceled" and out["order"]["id"] == entry["order"]["id"]
    assert out["reason"] == "nothing held; canceled unfilled buy 10"
    assert market.broker.list_orders("open") == []  # the legs went with it
    market.step()
    assert market.broker.get_position("MSFT") is None and market.broker.get_fills() == []


@pytest.mark.parametrize(
    ("side", "qty", "factor"),
    [("buy", 5, 0.9), ("sell", 4, 1.2)],  # an unfilled addition; a resting partial exit
    ids=["addition", "exit"],
)
def test_close_position_sells_what_is_held_whatever_is_pending(
    call: Caller, market: Market, side: str, qty: int, factor: float
) -> None:
    """Long 10 with a pending order: the close cancels it and sells exactly 10 (with the
    addition it sold 15 and went short; with the exit it sold 6 and left 4)."""
    call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    market.step()
    for leg in market.broker.list_orders("open"):
        call("cancel_order", {"order_id": leg.id})
    call.deps.cycle += 1
    price = round(last(market, "MSFT") * factor, 2)
    pending = call("place_order", {"symbol": "MSFT", "side": side, "qty": qty, "type": "limit",
                                   "limit_price": price})  # fmt: skip
    out = call("close_position", {"symbol": "MSFT"})
    assert out["outcome"] == "submitted" and out["order"]["qty"] == 10
    assert market.broker.get_order(pending["order"]["id"]).status is OrderStatus.CANCELED
    market.step()
    assert market.broker.get_position("MSFT") is None


def test_a_sell_limit_under_the_market_is_valued_at_the_market(
    call: Caller, market: Market
) -> None:
    """It fills at the market at once, so that is what it is worth (the approval threshold
    reads this figure)."""
    args = {"symbol": "MSFT", "side": "sell", "qty": 20, "type": "limit", "limit_price": 1}
    out = call("check_risk", args)["risk"]
    assert out["est_notional"] == pytest.approx(20 * last(market, "MSFT"), abs=0.01)
    high = round(last(market, "MSFT") * 1.2, 2)  # a resting sell limit: worth its limit
    resting = call("check_risk", args | {"limit_price": high})["risk"]
    assert resting["est_notional"] == pytest.approx(20 * high, abs=0.01)


def test_a_partial_exit_may_not_use_shares_its_exit_legs_hold(call: Caller, market: Market) -> None:
    """Long 10 with a stop and a target for 10: selling 4 beside them would leave legs that
    sell 10 and overshoot into a short; a broker refuses it (Alpaca: insufficient qty)."""
    call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 10})
    market.step()
    legs = [o.id for o in market.broker.list_orders("open")]
    for tool in ("place_order", "check_risk"):
        refused = call.result(tool, {"symbol": "MSFT", "side": "sell", "qty": 4})
        assert refused.error_type == "SharesHeldError"
        assert "0 of 10 available" in refused.content and all(i in refused.content for i in legs)
    assert [o.id for o in market.broker.list_orders("open")] == legs  # nothing was sent
    call.deps.cycle += 1  # an unfilled entry's own legs hold none of the 10 shares yet
    more = call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 3, "type": "limit",
                                "limit_price": round(last(market, "MSFT") * 0.9, 2)})  # fmt: skip
    its_legs = {o.id for o in market.broker.list_orders("open")} - {more["order"]["id"], *legs}
    refused = call.result("place_order", {"symbol": "MSFT", "side": "sell", "qty": 4})
    assert refused.error_type == "SharesHeldError" and its_legs
    assert not any(leg in refused.content for leg in its_legs)
    call("cancel_order", {"order_id": more["order"]["id"]})
    for leg in legs:
        call("cancel_order", {"order_id": leg})
    sold = call("place_order", {"symbol": "MSFT", "side": "sell", "qty": 4})
    assert sold["outcome"] == "submitted" and sold["order"]["qty"] == 4
    call.deps.cycle += 1  # a new turn: a new client order id for the buy
    added = call("place_order", {"symbol": "MSFT", "side": "buy", "qty": 1})  # not an exit
    assert added["outcome"] == "submitted"


@pytest.mark.parametrize(
    "start", [datetime(2018, 6, 1, tzinfo=UTC), datetime(2019, 1, 1, tzinfo=UTC)]
)
def test_correlation_pairs_a_stale_series_by_date(source, registry, start) -> None:
    """MSFT's bundled data end 2017-11-10, IXIC's 2018-12-31. Paired by position, MSFT's
    last returns met IXIC's of other months (rho ~ -0.1) or, at the data's end, MSFT had
    none in the window: buying MSFT next to IXIC passed. By date they correlate 0.74."""
    call = Caller(make_deps(Market(source, start=start)), registry)
    call("place_order", {"symbol": "IXIC", "side": "buy", "qty": 1})  # pending counts too
    risk = call("check_risk", {"symbol": "MSFT", "side": "buy", "qty": 100})["risk"]
    assert not risk["approved"]
    assert risk["reasons"][-1] == (
        "correlation_limit: correlation 0.74 with IXIC > 0.7 (60 days to 2017-11-10)"
    )
    spx = call("check_risk", {"symbol": "SPX", "side": "buy", "qty": 1})["risk"]
    assert not spx["approved"] and "with IXIC > 0.7" in spx["reasons"][-1]  # recent days
