"""get_strategy_config: a strategy's parameters, their ranges and where they come from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from tradepit.strategies import STRATEGIES, param_space
from tradepit.tools._common import resolve_symbol
from tradepit.tools._strategy import resolve_strategy
from tradepit.tools.base import Tool, ToolInput, ToolOutput

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps


class GetStrategyConfigInput(ToolInput):
    strategy: str = Field("supertrend", description="Strategy name")
    symbol: str | None = Field(None, description="For a per-symbol tuned config")


class GetStrategyConfigOutput(ToolOutput):
    strategy: str
    description: str
    params: dict[str, Any]
    ranges: list[str] = Field(description="name: low..high (default)")
    source: str = Field(description="built-in defaults or the tuned config file")
    strategies: list[str]


def get_strategy_config(deps: AgentDeps, args: GetStrategyConfigInput) -> GetStrategyConfigOutput:
    """A built-in strategy's parameters (tuned per symbol if available), tunable ranges
    and all strategy names."""
    symbol = resolve_symbol(deps, args.symbol) if args.symbol else None
    strategy, params, source = resolve_strategy(deps, args.strategy, symbol)
    ranges = [
        f"{r.name}: {r.low:g}..{r.high:g} ({r.default})" for r in param_space(strategy.Params)
    ]
    return GetStrategyConfigOutput(
        strategy=strategy.name,
        description=strategy.description,
        params=params.model_dump(),
        ranges=ranges,
        source=source,
        strategies=list(STRATEGIES),
    )


TOOL = Tool(
    "get_strategy_config", GetStrategyConfigInput, GetStrategyConfigOutput, get_strategy_config
)
