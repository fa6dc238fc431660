"""BattleConfig validation, competitor names, ids; the market helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from pydantic import ValidationError

from tradepit.battle.config import BattleConfig, check_run_id, competitor_run
from tradepit.battle.market import split
from tradepit.domain.errors import ConfigError
from tradepit.market.timeframe import data_timeframe

A, B = datetime(2017, 1, 2, tzinfo=UTC), datetime(2017, 6, 1, tzinfo=UTC)


def test_config_normalises_and_names_competitors():
    c = BattleConfig(models="rules:supertrend, gpt-4o,rules:supertrend", symbols="spx,msft",
                     start=A, end=B, cadence="1d")  # fmt: skip
    assert c.symbols == ("SPX", "MSFT") and c.cadence == "1Day"
    assert [x.name for x in c.competitors()] == ["rules:supertrend", "gpt-4o", "rules:supertrend#2"]
    assert c.samples == 1 and BattleConfig.model_validate(c.model_dump(mode="json")) == c


@pytest.mark.parametrize(
    "bad",
    [
        {"start": B, "end": A},
        {"repeats": 2, "windows": 2},
        {"symbols": "SPX,spx"},
        {"data": {"AAPL": "a.csv"}},
        {"cadence": "2 parsecs"},
        {"models": ""},
    ],
)
def test_config_refuses_contradictions(bad):
    values = {"models": "rules:supertrend", "symbols": "SPX", "start": A, "end": B} | bad
    with pytest.raises(ValidationError):
        BattleConfig(**values)


def test_ids_stay_short():
    assert check_run_id("battle-20260101-120000") == "battle-20260101-120000"
    for bad in ("", "a" * 49, "has space", ".dot", "slash/x"):
        with pytest.raises(ValueError):
            check_run_id(bad)
    assert competitor_run("b1", 2, 3) == "b1.s2.c3"


def test_split_and_timeframe():
    times = list(pd.date_range("2020-01-01", periods=10, tz="UTC"))
    parts = split(times, 3)
    assert [len(p) for p in parts] == [3, 4, 3] and [t for p in parts for t in p] == times
    with pytest.raises(ConfigError):
        split(times, 6)
    hourly = pd.DataFrame({"close": range(5)}, index=pd.date_range("2020", periods=5, freq="h"))
    daily = pd.DataFrame({"close": range(5)}, index=pd.date_range("2020", periods=5, freq="B"))
    assert data_timeframe({"A": daily}) == "1Day"
    assert data_timeframe({"A": daily, "B": hourly}) == "1Hour"
    quarter = pd.DataFrame(
        {"close": range(5)}, index=pd.date_range("2020", periods=5, freq="15min")
    )
    assert data_timeframe({"A": quarter}) == "15Min"
