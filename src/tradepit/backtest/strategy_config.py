"""Per-symbol strategy configuration files, written by tuning and hot-reloaded by users.

A file lives at ``<home>/strategies/<strategy>/<SYMBOL>.json`` and holds the tuned
parameters with their provenance (objective, value, study, time). Writes are atomic: the
JSON goes to a temporary file in the same directory, is flushed to disk, then renamed over
the target with ``os.replace``, so a reader sees the old file or the new one, never a part.

`StrategyConfigWatcher` gives a running agent or strategy the current parameters without a
restart: each access stats the file (inode, size, mtime, ctime) and, when that changed,
reads it, compares a SHA-256 of the content and re-validates the parameters. A file that
fails to parse or validate is logged and the last good parameters are kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradepit.domain.errors import ConfigError, StrategyError
from tradepit.domain.models import UtcDatetime
from tradepit.strategies import Strategy, StrategyParams, build_params, get_strategy

__all__ = [
    "StrategyConfig",
    "StrategyConfigWatcher",
    "load_strategy_config",
    "strategy_config_path",
    "write_strategy_config",
]

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._^=-]{0,63}$")


class StrategyConfig(BaseModel):
    """Tuned parameters of one strategy on one symbol, and where they came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str
    symbol: str
    params: dict[str, Any]
    objective: str = ""
    value: float | None = None
    """The objective's value of these parameters in the study (None when set by hand)."""
    study: str = ""
    updated_at: UtcDatetime
    metrics: dict[str, Any] = Field(default_factory=dict)
    """Backtest metrics of the best trial (return_pct, sharpe, trades, ...)."""


def _safe(name: str, what: str) -> str:
    if not _SAFE_NAME.match(name) or ".." in name:
        raise ConfigError(f"{what} {name!r} cannot be used in a file name")
    return name


def strategy_config_path(home: Path, strategy: str, symbol: str) -> Path:
    """``<home>/strategies/<strategy>/<SYMBOL>.json``."""
    return (
        Path(home)
        / "strategies"
        / _safe(strategy, "strategy")
        / f"{_safe(symbol.upper(), 'symbol')}.json"
    )


def write_strategy_config(home: Path, config: StrategyConfig) -> Path:
    """Write `config` atomically (temp file + fsync + os.replace); returns the path."""
    path = strategy_config_path(home, config.strategy, config.symbol)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(config.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("wrote strategy config %s (study=%s)", path, config.study)
    return path


def _parse(raw: bytes, path: Path) -> StrategyConfig:
    try:
        return StrategyConfig.model_validate_json(raw)
    except ValidationError as e:
        raise ConfigError(f"strategy config {path} is invalid: {e.errors()[0]['msg']}") from e


def load_strategy_config(home: Path, strategy: str, symbol: str) -> StrategyConfig | None:
    """The saved config of `strategy` on `symbol`, or None when there is none.
    Raises ConfigError when the file exists but is not a valid config."""
    path = strategy_config_path(home, strategy, symbol)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return _parse(raw, path)


def _signature(path: Path) -> tuple[int, ...] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class StrategyConfigWatcher:
    """Current parameters of a strategy on a symbol, reloaded when the file changes.

    `params` falls back to the strategy's defaults (or `fallback`) until a valid file
    exists; `version` counts the reloads that changed the parameters.
    """

    def __init__(
        self,
        home: Path,
        strategy: str | Strategy,
        symbol: str,
        fallback: StrategyParams | None = None,
    ) -> None:
        self.strategy = get_strategy(strategy) if isinstance(strategy, str) else strategy
        self.symbol = symbol.upper()
        self.path = strategy_config_path(home, self.strategy.name, self.symbol)
        self._params = fallback if fallback is not None else self.strategy.Params()
        self._config: StrategyConfig | None = None
        self._signature: tuple[int, ...] | None = None
        self._digest = ""
        self.version = 0

    @property
    def params(self) -> StrategyParams:
        """The parameters now in force (checks the file first)."""
        self.refresh()
        return self._params

    @property
    def config(self) -> StrategyConfig | None:
        """The last valid config read, None before any."""
        self.refresh()
        return self._config

    def refresh(self) -> bool:
        """Reload when the file changed; True when the parameters changed."""
        signature = _signature(self.path)
        if signature is None or signature == self._signature:
            return False
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return False
        self._signature = signature
        digest = hashlib.sha256(raw).hexdigest()
        if digest == self._digest:
            return False
        self._digest = digest
        try:
            config = _parse(raw, self.path)
            params = self._validate(config)
        except (ConfigError, StrategyError) as e:
            log.warning("keeping the previous parameters of %s: %s", self.path, e)
            return False
        self._config, self._params = config, params
        self.version += 1
        log.info("reloaded %s on %s: %s", self.strategy.name, self.symbol, config.params)
        return True

    def _validate(self, config: StrategyConfig) -> StrategyParams:
        if config.strategy != self.strategy.name or config.symbol.upper() != self.symbol:
            raise ConfigError(
                f"{self.path} is for {config.strategy} on {config.symbol}, "
                f"not {self.strategy.name} on {self.symbol}"
            )
        return build_params(self.strategy, config.params)
