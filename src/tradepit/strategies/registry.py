"""Lookup of built-in strategies by name, and parsing of `k=v` parameters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from tradepit.domain.errors import StrategyError
from tradepit.strategies.base import Strategy, StrategyParams
from tradepit.strategies.ensemble import Ensemble
from tradepit.strategies.oscillators import EmaRsi, MacdRsi, RsiDivergence
from tradepit.strategies.trend import BuyAndHold, MacdCross, SmaCross, Supertrend

STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        SmaCross(),
        Supertrend(),
        MacdRsi(),
        RsiDivergence(),
        EmaRsi(),
        MacdCross(),
        BuyAndHold(),
        Ensemble(),
    )
}


def get_strategy(name: str) -> Strategy:
    """The built-in strategy `name`; StrategyError listing the valid names otherwise."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise StrategyError(
            f"unknown strategy {name!r}; built-in: {', '.join(STRATEGIES)}"
        ) from None


def build_params(strategy: Strategy, overrides: dict[str, Any] | None = None) -> StrategyParams:
    """Validated parameters; StrategyError with pydantic's reasons on bad values."""
    try:
        return strategy.Params(**(overrides or {}))
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, x['loc'])) or 'params'}: "
            f"{str(x['msg']).removeprefix('Value error, ')}"
            for x in e.errors()
        )
        raise StrategyError(f"bad parameters for {strategy.name}: {problems}") from e


def parse_param_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """Parse CLI `k=v` pairs (values stay strings; pydantic coerces them)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise StrategyError(f"parameter {pair!r} is not of the form name=value")
        out[key.strip()] = value.strip()
    return out
