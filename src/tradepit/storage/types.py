"""Column types that behave the same on SQLite and PostgreSQL.

- `Money`: exact Decimal. PostgreSQL stores unconstrained NUMERIC; SQLite stores the decimal
  text (a NUMERIC column in SQLite would go through float and lose digits). Do not compare or
  sort Money columns in SQL on SQLite: they are text there.
- `UtcDateTime`: timezone-aware UTC in and out. Naive datetimes are refused on write;
  SQLite's naive values are stamped UTC on read.
- `JsonDocument`: JSON (JSONB on PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


def to_decimal(value: Decimal | int | float | str) -> Decimal:
    """Exact Decimal; floats go through their shortest repr (0.1 -> Decimal("0.1"))."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, int | str):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(float(value)))
    raise TypeError(f"cannot store {type(value).__name__} as a decimal amount")


class Money(TypeDecorator[Decimal]):
    """Exact decimal amount (money, price, quantity)."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = to_decimal(value)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamp."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
