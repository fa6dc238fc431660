from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tradepit.domain.models import Bar, OrderClass, OrderRequest, OrderType, Side


def test_order_request_needs_exactly_one_of_qty_or_notional():
    with pytest.raises(ValidationError, match="exactly one"):
        OrderRequest(symbol="MSFT", side=Side.BUY)
    with pytest.raises(ValidationError, match="exactly one"):
        OrderRequest(symbol="MSFT", side=Side.BUY, qty=Decimal(1), notional=Decimal(100))


def test_limit_order_needs_limit_price():
    with pytest.raises(ValidationError, match="limit_price"):
        OrderRequest(symbol="MSFT", side=Side.BUY, qty=Decimal(1), type=OrderType.LIMIT)


def test_bracket_class_from_children():
    req = OrderRequest(
        symbol="MSFT",
        side=Side.BUY,
        qty=Decimal(1),
        take_profit=Decimal(110),
        stop_loss=Decimal(90),
    )
    assert req.order_class is OrderClass.BRACKET
    assert req.model_copy(update={"take_profit": None}).order_class is OrderClass.OTO


def test_models_are_frozen():
    req = OrderRequest(symbol="MSFT", side=Side.BUY, qty=Decimal(1))
    with pytest.raises(ValidationError):
        req.qty = Decimal(2)  # type: ignore[misc]


def test_bar_rejects_naive_time_and_inconsistent_range():
    with pytest.raises(ValidationError, match="timezone"):
        Bar(symbol="X", timestamp=datetime(2020, 1, 1), open=1, high=2, low=1, close=1)
    with pytest.raises(ValidationError, match="outside"):
        Bar(symbol="X", timestamp=datetime(2020, 1, 1, tzinfo=UTC), open=3, high=2, low=1, close=1)


def test_a_short_at_its_entry_price_has_no_negative_zero_pnl():
    """`positions` showed -0.00 for a short that had not moved."""
    from decimal import Decimal

    from tradepit.domain.models import Position

    price = Decimal("2506.85")
    short = Position(symbol="SPX", qty=Decimal(-1), avg_entry_price=price, market_price=price)
    assert not short.unrealized_pnl.is_signed() and f"{short.unrealized_pnl:.2f}" == "0.00"
