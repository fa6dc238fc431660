"""Property: for any sequence of orders and bars, the ledger reconciles with the fills."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradepit.broker import PaperConfig
from tradepit.domain.errors import OrderNotCancelableError, OrderRejectedError
from tradepit.domain.models import OrderRequest, OrderType, Side, TimeInForce

SYMBOLS = ("AAA", "BBB")
prices = st.integers(min_value=85, max_value=115).map(Decimal)

order_actions = st.fixed_dictionaries(
    {
        "kind": st.just("order"),
        "symbol": st.sampled_from(SYMBOLS),
        "side": st.sampled_from(list(Side)),
        "qty": st.integers(min_value=1, max_value=400).map(Decimal),
        "type": st.sampled_from(list(OrderType)),
        "tif": st.sampled_from(list(TimeInForce)),
        "p1": prices,
        "p2": prices,
        "bracket": st.sampled_from(["none", "tp", "sl", "both"]),
    }
)
bar_actions = st.fixed_dictionaries(
    {
        "kind": st.just("bar"),
        "symbol": st.sampled_from(SYMBOLS),
        "prices": st.lists(prices, min_size=4, max_size=4),
        "volume": st.sampled_from([Decimal(0), Decimal(500), Decimal(3000), Decimal(100000)]),
    }
)
cancel_actions = st.fixed_dictionaries(
    {"kind": st.just("cancel"), "index": st.integers(min_value=0, max_value=20)}
)
configs = st.builds(
    PaperConfig,
    commission_per_share=st.sampled_from([Decimal(0), Decimal("0.005")]),
    commission_pct=st.sampled_from([Decimal(0), Decimal("0.001")]),
    min_commission=st.sampled_from([Decimal(0), Decimal(1)]),
    slippage_bps=st.sampled_from([Decimal(0), Decimal(5)]),
    max_volume_share=st.sampled_from([None, Decimal("0.1")]),
    allow_short=st.booleans(),
    max_leverage=st.sampled_from([Decimal(1), Decimal(2)]),
)


def request_from(action) -> OrderRequest:
    kind, p1, p2 = action["type"], action["p1"], action["p2"]
    limit = stop = None
    if kind is OrderType.LIMIT:
        limit = p1
    elif kind is OrderType.STOP:
        stop = p1
    elif kind is OrderType.STOP_LIMIT:
        stop, limit = p1, p2
    sign = action["side"].sign
    tp = sl = None
    if action["bracket"] in ("tp", "both"):
        tp = Decimal(100 + 8 * sign)
    if action["bracket"] in ("sl", "both"):
        sl = Decimal(100 - 8 * sign)
    return OrderRequest(
        symbol=action["symbol"], side=action["side"], qty=action["qty"], type=kind,
        time_in_force=action["tif"], limit_price=limit, stop_price=stop,
        take_profit=tp, stop_loss=sl,
    )  # fmt: skip


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    configs,
    st.lists(
        st.one_of(
            order_actions, order_actions, bar_actions, bar_actions, bar_actions, cancel_actions
        ),
        min_size=8,
        max_size=40,
    ),
)
def test_cash_and_positions_reconcile_with_fills(make_sim, config, actions) -> None:
    s = make_sim(**config.model_dump())
    for symbol in SYMBOLS:
        s.step(100, symbol=symbol, advance=False)
    s.close_bar()
    bars = {}
    for action in actions:
        if action["kind"] == "order":
            # a rejection is a valid outcome: it creates no order and changes nothing
            with contextlib.suppress(OrderRejectedError):
                s.broker.submit_order(request_from(action))
        elif action["kind"] == "cancel":
            orders = s.broker.list_orders("all")
            if orders:
                with contextlib.suppress(OrderNotCancelableError):
                    s.broker.cancel_order(orders[action["index"] % len(orders)].id)
        else:
            a, b, c, d = action["prices"]
            bar = s.bar(c, max(a, b, c, d), min(a, b, c, d), d, action["volume"], action["symbol"])
            bars[bar.symbol, bar.timestamp] = bar
            s.step(c, bar.high, bar.low, d, action["volume"], bar.symbol)
        check(s, config, bars)


def check(s, config, bars) -> None:
    broker = s.broker
    fills = broker.get_fills()
    cash = config.starting_cash
    held = defaultdict(Decimal)
    per_order = defaultdict(Decimal)
    every = broker.list_orders("all")
    orders = {o.id: o for o in every}
    # open and closed are read from different indexes: together, in order, they are all
    assert broker.list_orders("open") == [o for o in every if o.status.is_open]
    assert broker.list_orders("closed") == [o for o in every if not o.status.is_open]
    slip = config.slip
    for fill in fills:
        cash -= fill.side.sign * fill.qty * fill.price + fill.commission
        held[fill.symbol] += fill.side.sign * fill.qty
        per_order[fill.order_id] += fill.qty
        order = orders[fill.order_id]
        assert fill.timestamp >= order.created_at  # no look-ahead
        bar = bars[fill.symbol, fill.timestamp]
        assert bar.low * (1 - slip) <= fill.price <= bar.high * (1 + slip)
    account = broker.get_account()
    assert account.cash == cash
    positions = {p.symbol: p.qty for p in broker.get_positions()}
    assert positions == {k: v for k, v in held.items() if v != 0}
    if not config.allow_short:
        assert all(q > 0 for q in positions.values())
    for order in orders.values():
        assert order.filled_qty == per_order[order.id]
        assert order.filled_qty <= (order.qty or 0)
    marks = {p.symbol: p.market_price for p in broker.get_positions()}
    assert account.equity == cash + sum(q * marks[sym] for sym, q in positions.items())
