"""Strategy lookup for the tools: built-in defaults or a per-symbol tuned config file.

A tuned config lives at ``<settings.home>/strategies/<strategy>/<SYMBOL>.json``: a JSON
object of parameters, or ``{"params": {...}, ...}`` (other keys, e.g. metrics of the tuning
run, are ignored). The home comes from ``deps.home`` when the deps carry one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradepit.domain.errors import StrategyError
from tradepit.strategies import Strategy, StrategyParams, build_params, get_strategy

if TYPE_CHECKING:
    from tradepit.agent.deps import AgentDeps

log = logging.getLogger(__name__)


def tuned_path(home: Path, strategy: str, symbol: str) -> Path:
    return home / "strategies" / strategy / f"{symbol.upper()}.json"


def tuned_params(deps: AgentDeps, strategy: str, symbol: str | None) -> tuple[dict, str | None]:
    """The tuned parameters for (strategy, symbol) and the file they came from, if any."""
    home = getattr(deps, "home", None)
    if home is None or symbol is None:
        return {}, None
    path = tuned_path(Path(home), strategy, symbol)
    if not path.is_file():
        return {}, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise StrategyError(f"tuned config {path} cannot be read: {e}") from e
    params = data.get("params", data) if isinstance(data, dict) else None
    if not isinstance(params, dict):
        raise StrategyError(f"tuned config {path} is not a JSON object of parameters")
    log.debug("using tuned %s params for %s from %s", strategy, symbol, path)
    return params, str(path)


def resolve_strategy(
    deps: AgentDeps,
    name: str,
    symbol: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> tuple[Strategy, StrategyParams, str]:
    """Strategy, validated params (defaults < tuned file < overrides) and their source."""
    strategy = get_strategy(name.strip().lower())
    tuned, path = tuned_params(deps, strategy.name, symbol)
    params = build_params(strategy, tuned | (overrides or {}))
    source = path or "built-in defaults"
    if overrides:
        source += " + overrides"
    return strategy, params, source
