"""`fill_at_last_price`: a paper account on a live market works new orders against the
last price at once (chat); replays keep it off so only later bars fill."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradepit.broker import PaperBroker, PaperConfig
from tradepit.clock import ReplayClock
from tradepit.domain.models import Asset, Bar, OrderRequest, OrderStatus, OrderType, Side

T0 = datetime(2024, 3, 4, tzinfo=UTC)


def make(fill_at_last_price: bool) -> tuple[PaperBroker, ReplayClock]:
    clock = ReplayClock(T0)
    config = PaperConfig(fill_at_last_price=fill_at_last_price, slippage_bps=Decimal(10))
    broker = PaperBroker(clock, lambda s: Asset(symbol=s), config)
    broker.on_bar(
        Bar(
            symbol="ACME",
            timestamp=T0,
            open=Decimal(99),
            high=Decimal(101),
            low=Decimal(98),
            close=Decimal(100),
            volume=Decimal(10**6),
        )
    )
    clock.advance_to(T0 + timedelta(days=1))
    return broker, clock


def test_market_order_fills_at_the_last_price_with_slippage():
    broker, _ = make(True)
    order = broker.submit_order(
        OrderRequest(symbol="ACME", side=Side.BUY, qty=Decimal(10), stop_loss=Decimal(95))
    )
    assert broker.get_order(order.id).status is OrderStatus.FILLED
    (fill,) = broker.get_fills()
    assert fill.price == Decimal("100.1") and fill.qty == 10
    assert broker.get_position("ACME").qty == 10
    stop = [o for o in broker.list_orders("open") if o.parent_id == order.id]
    assert [o.stop_price for o in stop] == [Decimal(95)]  # the stop rests, not triggered


def test_limit_away_from_the_price_rests():
    broker, _ = make(True)
    order = broker.submit_order(
        OrderRequest(
            symbol="ACME",
            side=Side.BUY,
            qty=Decimal(5),
            type=OrderType.LIMIT,
            limit_price=Decimal(90),
        )
    )
    assert broker.get_order(order.id).status is OrderStatus.ACCEPTED
    assert broker.get_fills() == []


def test_off_by_default_so_replays_only_fill_on_later_bars():
    broker, _ = make(False)
    order = broker.submit_order(OrderRequest(symbol="ACME", side=Side.BUY, qty=Decimal(10)))
    assert broker.get_order(order.id).status is OrderStatus.ACCEPTED
    assert broker.get_fills() == []
