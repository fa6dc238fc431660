"""Blinding: neutral names in a seeded order, prices rebased to 100 at the start, dates
shifted by whole weeks to the epoch, volumes scaled like a split."""

from __future__ import annotations

import pandas as pd
import pytest

from tradepit.battle.blind import EPOCH, Blinding
from tradepit.domain.models import Asset, AssetClass
from tradepit.market.bundled import load_bundled

DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2017-06-05 20:00", tz="UTC")


@pytest.fixture(scope="module")
def frames():
    return {s: load_bundled(s).loc[:"2017-10-01"] for s in ("SPX", "MSFT")}


def test_plan_rebases_shifts_and_renames(frames):
    b = Blinding.plan(frames, START, DAY, seed=1)
    assert sorted(b.aliases.values()) == ["ASSET-A", "ASSET-B"]
    assert b.offset % pd.Timedelta(days=7) == pd.Timedelta(0)
    assert abs(START.normalize() + b.offset - EPOCH) < pd.Timedelta(days=4)
    spx = b.frame("SPX", frames["SPX"])
    done = spx[spx.index + DAY <= b.time(START)]
    assert done["close"].iloc[-1] == pytest.approx(100.0)  # last close known at the start
    ratio = frames["SPX"]["close"] / frames["SPX"]["volume"]
    blinded_ratio = spx["close"].to_numpy() / spx["volume"].to_numpy()
    k = b.divisors["SPX"]
    assert blinded_ratio == pytest.approx(ratio.to_numpy() / k**2)
    assert (spx["close"] * spx["volume"]).to_numpy() == pytest.approx(
        (frames["SPX"]["close"] * frames["SPX"]["volume"]).to_numpy()
    )  # dollar volume kept
    assert (spx.index.day_of_week == frames["SPX"].index.day_of_week).all()
    assert spx.attrs == {}


def test_aliases_depend_on_the_seed_only(frames):
    orders = {tuple(Blinding.plan(frames, START, DAY, seed=s).aliases.items()) for s in range(8)}
    assert len(orders) == 2  # both orders of two symbols occur
    assert Blinding.plan(frames, START, DAY, 3) == Blinding.plan(frames, START, DAY, 3)


def test_assets_are_neutral_and_json_round_trips(frames):
    b = Blinding.plan(frames, START, DAY, seed=0)
    spx = Asset(symbol="SPX", name="S&P 500 index", asset_class=AssetClass.INDEX)
    blinded = b.asset(spx)
    assert blinded.symbol == b.aliases["SPX"] and blinded.name == ""
    assert blinded.asset_class is AssetClass.US_EQUITY
    assert Blinding.from_json(b.to_json()) == b
    assert b.real[b.aliases["MSFT"]] == "MSFT"
