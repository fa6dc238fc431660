"""OCC option symbols: parse, build, round trip."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradepit.market.occ import OptionKind, build_occ, is_occ, parse_occ


def test_parses_the_documented_example():
    occ = parse_occ("SPY251121P00550000")
    assert (occ.root, occ.expiry, occ.kind, occ.strike) == (
        "SPY",
        date(2025, 11, 21),
        OptionKind.PUT,
        Decimal(550),
    )
    assert str(occ) == "SPY251121P00550000"


@pytest.mark.parametrize(
    ("symbol", "root", "strike", "kind"),
    [
        ("AAPL250117C00200000", "AAPL", Decimal(200), OptionKind.CALL),
        ("SPY   251121P00550000", "SPY", Decimal(550), OptionKind.PUT),  # padded 21-char form
        ("BRKB251219C00480500", "BRKB", Decimal("480.5"), OptionKind.CALL),
        ("SPY1251121P00001500", "SPY1", Decimal("1.5"), OptionKind.PUT),
    ],  # adjusted root
)
def test_parses_variants(symbol, root, strike, kind):
    occ = parse_occ(symbol)
    assert (occ.root, occ.strike, occ.kind) == (root, strike, kind)


@pytest.mark.parametrize(
    "bad",
    [
        "SPY",
        "SPY251121X00550000",
        "SPY251321P00550000",
        "TOOLONGROOT251121P00550000",
        "SPY251121P0055000",
    ],
)
def test_rejects_malformed(bad):
    with pytest.raises(ValueError):
        parse_occ(bad)


def test_is_occ_tells_options_from_stocks():
    assert is_occ("SPY251121P00550000") and not is_occ("SPY") and not is_occ("BTC/USD")


def test_build_validates():
    assert build_occ("spy", date(2025, 11, 21), "put", 550) == "SPY251121P00550000"
    with pytest.raises(ValueError, match="decimals"):
        build_occ("SPY", date(2025, 11, 21), "call", Decimal("1.0005"))
    with pytest.raises(ValueError, match="root"):
        build_occ("TOOLONG", date(2025, 11, 21), "call", 10)


@given(
    root=st.from_regex(r"[A-Z]{1,6}", fullmatch=True),
    expiry=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    kind=st.sampled_from(list(OptionKind)),
    strike=st.integers(1, 99_999_999).map(lambda n: Decimal(n) / 1000),
)
def test_round_trip(root, expiry, kind, strike):
    occ = parse_occ(build_occ(root, expiry, kind, strike))
    assert (occ.root, occ.expiry, occ.kind, occ.strike) == (root, expiry, kind, strike)
