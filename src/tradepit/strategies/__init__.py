"""Signal strategies with typed parameter spaces."""

from tradepit.strategies.base import (
    SIGNAL_COLUMNS,
    ParamRange,
    Signals,
    Strategy,
    StrategyParams,
    param_space,
)
from tradepit.strategies.registry import STRATEGIES, build_params, get_strategy, parse_param_pairs

__all__ = [
    "SIGNAL_COLUMNS",
    "STRATEGIES",
    "ParamRange",
    "Signals",
    "Strategy",
    "StrategyParams",
    "build_params",
    "get_strategy",
    "param_space",
    "parse_param_pairs",
]
