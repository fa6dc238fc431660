"""The strategy interface: bars and parameters in, a frame of target positions out.

A strategy is causal: the row for bar t uses only bars up to and including t, and it is
acted on at the next bar's open. Columns of the signal frame:

- ``target``: desired position as a fraction of equity, -1..1 (negative = short).
- ``stop``: suggested stop-loss price for an entry on that bar, NaN when none.
- ``confidence``: 0..1, how sure the strategy is (used by the ensemble and the agent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import annotated_types
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from tradepit.market.arrays import OHLC, float_columns

SIGNAL_COLUMNS = ("target", "stop", "confidence")


class Signals(NamedTuple):
    """A strategy's signal columns as float64 arrays, one value per bar."""

    target: np.ndarray
    stop: np.ndarray
    confidence: np.ndarray


class StrategyParams(BaseModel):
    """Typed parameters. Each tunable field declares its range with ``Field(ge=..., le=...)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class ParamRange:
    """A tunable parameter's range, read from the params model (for Optuna and the CLI)."""

    name: str
    kind: type
    low: float
    high: float
    default: Any


def param_space(params_model: type[StrategyParams]) -> list[ParamRange]:
    """The tunable parameters of a params model: numeric fields with both bounds."""
    space = []
    for name, field in params_model.model_fields.items():
        low = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), None)
        high = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), None)
        if low is None or high is None or field.annotation not in (int, float):
            continue
        space.append(ParamRange(name, field.annotation, low, high, field.default))
    return space


class Strategy:
    """Base class. Subclasses set ``name``, ``description``, ``Params`` and implement
    ``compute``; ``signals`` validates input and output."""

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[StrategyParams]]

    def params(self, **overrides: Any) -> StrategyParams:
        return self.Params(**overrides)

    def signals(self, bars: pd.DataFrame, params: StrategyParams | None = None) -> pd.DataFrame:
        """The signal frame (``target``, ``stop``, ``confidence``) indexed like `bars`."""
        arrays = self.signal_arrays(bars, params)
        return pd.DataFrame(arrays._asdict(), index=bars.index, copy=False)

    def signal_arrays(self, bars: pd.DataFrame, params: StrategyParams | None = None) -> Signals:
        """The signals as arrays, validated and clipped as in `signals` (no frame: a caller
        that reads the last rows, such as the agent's `get_signal`, skips building one)."""
        params = params if params is not None else self.Params()
        if not isinstance(params, self.Params):
            raise TypeError(
                f"{self.name} expects {self.Params.__name__}, got {type(params).__name__}"
            )
        target, stop, confidence = self.compute(bars, params)
        target = np.clip(np.nan_to_num(np.asarray(target, dtype=np.float64), nan=0.0), -1.0, 1.0)
        confidence = np.clip(np.nan_to_num(np.asarray(confidence, dtype=np.float64)), 0.0, 1.0)
        return Signals(target, np.asarray(stop, dtype=np.float64), confidence)

    def compute(
        self, bars: pd.DataFrame, params: StrategyParams
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError


def hold_from_events(events: np.ndarray) -> np.ndarray:
    """Turn sparse events (+1/-1 where something happens, NaN elsewhere) into a held state,
    starting flat (0) before the first event."""
    events = np.asarray(events, dtype=np.float64)
    last = np.where(np.isnan(events), 0, np.arange(len(events)))
    held = events[np.maximum.accumulate(last)] if len(events) else events
    return np.nan_to_num(held, nan=0.0)


def crossed_above(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True on bars where `a` moves from <= b to > b."""
    prev_a, prev_b = np.roll(a, 1), np.roll(b, 1)
    out = (a > b) & (prev_a <= prev_b)
    out[0] = False
    return out & ~np.isnan(prev_a) & ~np.isnan(prev_b)


def crossed_below(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True on bars where `a` moves from >= b to < b."""
    return crossed_above(b, a)


def ohlc(bars: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """open, high, low, close as float64 arrays."""
    return float_columns(bars, OHLC)  # type: ignore[return-value]
