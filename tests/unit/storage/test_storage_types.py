"""Exact Decimal and UTC timestamp round trips on every database."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import text

from tradepit.domain.errors import StoreError
from tradepit.storage import Store
from tradepit.storage.types import to_decimal

T0 = datetime(2024, 3, 1, 14, 30, 0, 123456, tzinfo=UTC)

AMOUNTS = [
    Decimal("0.1") + Decimal("0.2"),
    Decimal("12345678.12345678"),
    Decimal("-0.000000000000000001"),
    Decimal("123456789012345678901234567890.123456789012345678"),
    Decimal("100.10"),
    Decimal("0"),
]


def test_decimal_amounts_round_trip_exactly(store: Store):
    for i, amount in enumerate(AMOUNTS):
        store.record_equity("acct", T0 + timedelta(minutes=i), amount, -amount)
    curve = store.equity_curve("acct")
    assert [p.equity for p in curve] == AMOUNTS
    assert [p.cash for p in curve] == [-a for a in AMOUNTS]
    assert curve[0].equity == Decimal("0.3")
    # Same digits back, not merely an equal value (a float detour would not survive this).
    assert str(curve[1].equity) == "12345678.12345678"
    assert str(curve[3].equity) == "123456789012345678901234567890.123456789012345678"


def test_sqlite_keeps_the_decimal_text(sqlite_database):
    store = sqlite_database.open()
    store.migrate()
    store.record_equity("acct", T0, Decimal("12345678.12345678"), Decimal("0.1") + Decimal("0.2"))
    with store.read() as session:
        row = session.execute(text("SELECT equity, typeof(equity), cash FROM equity_points")).one()
    store.close()
    assert tuple(row) == ("12345678.12345678", "text", "0.3")


def test_timestamps_come_back_aware_utc_same_instant(store: Store):
    new_york = timezone(timedelta(hours=-5))
    local = datetime(2024, 3, 1, 9, 30, 0, 654321, tzinfo=new_york)
    store.record_equity("acct", local, Decimal(1), Decimal(1))
    (point,) = store.equity_curve("acct")
    assert point.timestamp == local
    assert point.timestamp.tzinfo is UTC
    assert point.timestamp == datetime(2024, 3, 1, 14, 30, 0, 654321, tzinfo=UTC)


def test_naive_timestamp_is_refused(store: Store):
    with pytest.raises(StoreError, match="naive datetime"):
        store.record_equity("acct", datetime(2024, 3, 1), Decimal(1), Decimal(1))
    assert store.equity_curve("acct") == []


def test_float_input_converts_through_its_shortest_repr():
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(np.float64(0.1) + np.float64(0.2)) == Decimal("0.30000000000000004")
    assert to_decimal(7) == Decimal(7)
    with pytest.raises(TypeError):
        to_decimal(True)
    with pytest.raises(TypeError):
        to_decimal([1])  # type: ignore[arg-type]


@pytest.mark.postgres
def test_postgres_session_time_zone_does_not_leak(postgres_database):
    database = postgres_database
    options = database.engine_options["connect_args"]["options"] + " -ctimezone=Asia/Kolkata"
    store = database.open(connect_args={"options": options})
    try:
        store.migrate()
        store.record_equity("acct", T0, Decimal(1), Decimal(1))
        with store.read() as session:
            raw = session.execute(text("SELECT timestamp FROM equity_points")).scalar_one()
        (point,) = store.equity_curve("acct")
    finally:
        store.close()
    assert raw.utcoffset() == timedelta(hours=5, minutes=30)  # the server's session zone
    assert point.timestamp == T0
    assert point.timestamp.tzinfo is UTC
